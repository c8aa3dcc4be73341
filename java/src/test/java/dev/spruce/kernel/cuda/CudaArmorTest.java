package dev.spruce.kernel.cuda;

import dev.spruce.cuda.ArmorKernels;
import dev.spruce.cuda.ArmorNative;
import dev.spruce.cuda.Cuda;
import dev.spruce.cuda.DeviceArmor;
import dev.spruce.cuda.DeviceMatrix;
import dev.spruce.cuda.GpuTestSupport;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.scalar.ScalarBackend;
import dev.spruce.layout.ArmorFixtures;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ARMOR on CUDA: argument checks on every machine (they come before any native call), the native launcher's own
 * checks where the library is built but there is no driver, and on a GPU (skipped with the reason otherwise) the
 * block-diagonal -> mma.sp -> block-diagonal path against the scalar backend and a float64 reference.
 */
class CudaArmorTest {
    private final CudaBackend cuda = new CudaBackend();

    @Test
    void badArgumentsAreRejectedBeforeCuda() {
        SplittableRandom rnd = new SplittableRandom(1);
        assertTrue(cuda.supports(Op.ARMOR, DType.BF16));
        assertFalse(cuda.supports(Op.ARMOR, DType.F32));
        try (ArmorLayout f32 = ArmorFixtures.random(rnd, 32, 32, 16, 16, DType.F32, false);
             ArmorLayout odd = ArmorFixtures.random(rnd, 24, 32, 8, 16, DType.BF16, false);
             ArmorLayout ok = ArmorFixtures.random(rnd, 32, 64, 16, 32, DType.BF16, true);
             Matrix x = Matrix.allocate(2, 32, DType.F32); Matrix y = Matrix.allocate(2, 32, DType.F32);
             Matrix x64 = Matrix.allocate(2, 64, DType.F32); Matrix y24 = Matrix.allocate(2, 24, DType.F32)) {
            UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class,
                    () -> cuda.armor(f32, x, y));
            assertTrue(u.getMessage().contains("F32"), u.getMessage());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cuda.armor(odd, x, y24));
            assertTrue(e.getMessage().contains("multiples of 32"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> cuda.armor(ok, x, y));
            assertTrue(e.getMessage().contains("K=64"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cuda.armor(ok, x64, x64));
            assertThrows(IllegalArgumentException.class, () -> ArmorKernels.armor(null, null, null));
        }
    }

    @Test
    void nativeLauncherValidatesWithoutADevice() {
        String r = Cuda.unavailableReason();
        assumeTrue(!Cuda.available() && r.contains("driver") && !r.contains("failed to load"),
                () -> "needs the built library on a machine without a CUDA driver; here: "
                        + (Cuda.available() ? "CUDA is available" : r));
        assertEquals(ArmorNative.E_NULL, ArmorNative.spruce_armor_blockdiag(null, null, null, null, 8, 4, 1, 0, 0, null));
        assertTrue(ArmorNative.spruce_armor_status_string(ArmorNative.E_SHAPE).contains("multiple of bs"));
        assertTrue(ArmorNative.spruce_armor_status_string(ArmorNative.E_DTYPE).contains("dtype"));
    }

    @Test
    void gpuMatchesScalarAndFloat64() {
        GpuTestSupport.assumeCuda();
        ScalarBackend scalar = new ScalarBackend(2);
        // M, K, bsA, bsB, N
        int[][] cases = {{32, 32, 4, 4, 1}, {64, 96, 16, 32, 3}, {128, 256, 128, 128, 33}, {384, 1536, 32, 32, 7},
                {256, 128, 64, 16, 130}};
        int i = 0;
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            for (int[] c : cases) {
                SplittableRandom rnd = new SplittableRandom(100 + i);
                boolean bias = i++ % 2 == 0;
                int m = c[0], k = c[1], n = c[4];
                try (ArmorLayout l = ArmorFixtures.random(rnd, m, k, c[2], c[3], dt, bias);
                     Matrix x = GpuTestSupport.random(n, k, DType.F32, 7L * n + k);
                     Matrix want = Matrix.allocate(n, m, DType.F32); Matrix got = Matrix.allocate(n, m, DType.F32)) {
                    scalar.armor(l, x, want);
                    got.fill(Float.NaN);
                    cuda.armor(l, x, got);
                    double[] ref = new double[n * m];
                    float[] w = want.toFloatArray();
                    for (int j = 0; j < ref.length; j++) {
                        ref[j] = w[j];
                    }
                    // The GPU rounds U = B X to the core's 16-bit type for mma.sp: about 2^-8 relative (bf16).
                    double err = GpuTestSupport.relErr(got.toFloatArray(), ref);
                    assertTrue(err < 1e-2, dt + " " + java.util.Arrays.toString(c) + ": relative error " + err);
                }
            }
        }
    }

    @Test
    void deviceResidentPathWithScratchIsRepeatable() {
        GpuTestSupport.assumeCuda();
        SplittableRandom rnd = new SplittableRandom(5);
        int m = 256, k = 512, n = 17;
        try (ArmorLayout l = ArmorFixtures.random(rnd, m, k, 128, 128, DType.BF16, true);
             DeviceArmor d = cuda.upload(l);
             Matrix x = GpuTestSupport.random(n, k, DType.F32, 3);
             DeviceMatrix dx = DeviceMatrix.upload(x);
             DeviceMatrix dy = DeviceMatrix.allocate(n, m, DType.F32);
             DeviceMatrix u = DeviceMatrix.allocate(n, k, DType.BF16);
             DeviceMatrix v = DeviceMatrix.allocate(n, m, DType.F32)) {
            dy.poison();
            ArmorKernels.armor(d, dx, dy, u, v);
            float[] first;
            try (Matrix h = dy.toMatrix()) {
                first = h.toFloatArray();
            }
            dy.poison();
            ArmorKernels.armor(d, dx, dy, u, v);
            try (Matrix h = dy.toMatrix()) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(first, h.toFloatArray());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ArmorKernels.armor(d, dx, dy, v, u));
            assertTrue(e.getMessage().contains("scratch U"), e.getMessage());
        }
    }
}
