package dev.spruce.kernel.cuda;

import dev.spruce.cuda.DeviceMatrix;
import dev.spruce.cuda.DeviceSparse24;
import dev.spruce.cuda.GpuTestSupport;
import dev.spruce.cuda.Sp24Kernels;
import dev.spruce.cuda.Sp24Native;
import dev.spruce.kernel.scalar.ScalarBackend;
import dev.spruce.layout.Sparse24;
import dev.spruce.layout.Sparse24Fixtures;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU test (skips with the reason without CUDA): the mma.sp 2:4 kernels against the CPU scalar backend and a
 * float64 reference, on aligned and padded shapes, every kernel variant and forced split counts, outputs
 * poisoned with NaN before each run. bf16/f16 operands: relative error must stay within 1e-2.
 */
class CudaSpmm24Test {
    private static final int[][] SHAPES = { // m, k, n
            {32, 32, 1}, {64, 96, 3}, {96, 256, 8}, {128, 544, 17}, {33, 68, 5}, {250, 132, 65}, {256, 512, 130},
            {768, 768, 32}, {4096, 4096, 1}};

    private final CudaBackend cuda = new CudaBackend();
    private final ScalarBackend scalar = new ScalarBackend(2);

    @BeforeEach
    void needCuda() {
        GpuTestSupport.assumeCuda();
    }

    @ParameterizedTest
    @ValueSource(strings = {"BF16", "F16"})
    void hostPathMatchesScalarAndFloat64(String type) {
        DType dt = DType.valueOf(type);
        SplittableRandom rnd = new SplittableRandom(24);
        for (int[] s : SHAPES) {
            int m = s[0], k = s[1], n = s[2];
            try (Sparse24 w = Sparse24Fixtures.randomLayout(rnd, m, k, dt);
                 Matrix dense = w.toDense();
                 Matrix x = GpuTestSupport.random(n, k, DType.F32, 7L * n + k);
                 Matrix x16 = x.convert(dt); // the kernels read X in the weights' type: compare on that input
                 Matrix xr = x16.convert(DType.F32);
                 Matrix yRef = Matrix.allocate(n, m, DType.F32);
                 Matrix y = Matrix.allocate(n, m, DType.F32)) {
                scalar.spmm24(w, xr, yRef);
                y.fill(Float.NaN);
                cuda.spmm24(w, xr, y);
                double[] ref64 = GpuTestSupport.reference(dense, xr);
                double err = GpuTestSupport.relErr(y.toFloatArray(), ref64);
                double errScalar = GpuTestSupport.relErr(yRef.toFloatArray(), ref64);
                assertTrue(err <= 1e-2, dt + " " + m + "x" + k + " n=" + n + ": rel err " + err);
                assertTrue(errScalar <= 1e-5, "scalar reference disagrees with float64: " + errScalar);
            }
        }
    }

    @Test
    void deviceResidentEveryKernelSplitAndOutputType() {
        SplittableRandom rnd = new SplittableRandom(5);
        int m = 192, k = 1024;
        try (Sparse24 w = Sparse24Fixtures.randomLayout(rnd, m, k, DType.BF16);
             Matrix dense = w.toDense();
             DeviceSparse24 dw = cuda.upload(w)) {
            for (int n : new int[]{1, 9, 64, 200}) {
                try (Matrix x = GpuTestSupport.random(n, k, DType.BF16, n);
                     DeviceMatrix dx = DeviceMatrix.upload(x)) {
                    double[] ref64 = GpuTestSupport.reference(dense, x);
                    for (int kernel = Sp24Native.KERNEL_AUTO; kernel <= Sp24Native.KERNEL_WIDE; kernel++) {
                        for (int splits : new int[]{0, 1, 3}) {
                            for (DType out : DType.values()) {
                                try (DeviceMatrix dy = DeviceMatrix.allocate(n, m, out)) {
                                    dy.poison();
                                    Sp24Kernels.spmm24(dw, dx, dy, kernel, splits);
                                    try (Matrix y = dy.toMatrix()) {
                                        double err = GpuTestSupport.relErr(y.toFloatArray(), ref64);
                                        assertTrue(err <= 1e-2, "n=" + n + " kernel " + kernel + " splits " + splits
                                                + " out " + out + ": rel err " + err);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
