package dev.spruce.kernel.cuda;

import dev.spruce.cuda.CuBlas;
import dev.spruce.cuda.Cuda;
import dev.spruce.cuda.CudaException;
import dev.spruce.cuda.CudaNative;
import dev.spruce.cuda.DeviceMatrix;
import dev.spruce.cuda.GpuTestSupport;
import dev.spruce.kernel.scalar.ScalarBackend;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * GPU test (skips with the reason without CUDA): the tiled dense kernel and cuBLAS against the CPU scalar
 * reference and a float64 reference, on odd and even shapes, outputs poisoned with NaN before each run.
 */
class CudaDenseGemmTest {
    private static final int[][] SHAPES = { // m, k, n
            {1, 1, 1}, {3, 7, 1}, {7, 15, 3}, {16, 16, 16}, {31, 64, 5}, {64, 127, 65}, {127, 1000, 8},
            {1000, 31, 129}, {4099, 64, 2}, {768, 768, 32}};

    private final CudaBackend cuda = new CudaBackend();
    private final ScalarBackend scalar = new ScalarBackend(2);

    @BeforeEach
    void needCuda() {
        GpuTestSupport.assumeCuda();
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void tiledKernelMatchesScalarReference(DType dt) {
        for (int[] s : SHAPES) {
            int m = s[0], k = s[1], n = s[2];
            try (Matrix w = GpuTestSupport.random(m, k, dt, 31L * m + k);
                 Matrix x = GpuTestSupport.random(n, k, DType.F32, 17L * n + k);
                 Matrix yRef = Matrix.allocate(n, m, DType.F32);
                 Matrix y = Matrix.allocate(n, m, DType.F32)) {
                scalar.gemm(w, x, yRef);
                y.fill(Float.NaN);
                cuda.gemm(w, x, y);
                double[] ref64 = GpuTestSupport.reference(w, x);
                double err = GpuTestSupport.relErr(y.toFloatArray(), ref64);
                double errScalar = GpuTestSupport.relErr(yRef.toFloatArray(), ref64);
                // f32 accumulation in a different order: error of the order of K * 2^-24, like the scalar one
                double tol = 1e-6 * Math.sqrt(k) + 2 * errScalar + 1e-7;
                assertTrue(err <= tol, dt + " " + m + "x" + k + " n=" + n + ": rel err " + err + " > " + tol);
            }
        }
    }

    @Test
    void deviceResidentPathWritesEveryElement() {
        int m = 300, k = 200, n = 77;
        try (Matrix w = GpuTestSupport.random(m, k, DType.BF16, 5);
             Matrix x = GpuTestSupport.random(n, k, DType.F32, 6);
             DeviceMatrix dw = cuda.upload(w);
             DeviceMatrix dx = cuda.upload(x);
             DeviceMatrix dy = DeviceMatrix.allocate(n, m, DType.F32)) {
            double[] ref = GpuTestSupport.reference(w, x);
            for (int rep = 0; rep < 3; rep++) {
                dy.poison();
                cuda.gemm(dw, dx, dy);
                try (Matrix y = dy.toMatrix()) {
                    double err = GpuTestSupport.relErr(y.toFloatArray(), ref);
                    assertTrue(err <= 1e-5, "rel err " + err);
                }
            }
            try (DeviceMatrix wrong = DeviceMatrix.allocate(n, m + 1, DType.F32)) {
                assertThrows(IllegalArgumentException.class, () -> cuda.gemm(dw, dx, wrong));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void cublasMatchesReference(DType dt) {
        try (CuBlas blas = openCublas()) {
            for (int[] s : SHAPES) {
                int m = s[0], k = s[1], n = s[2];
                try (Matrix w = GpuTestSupport.random(m, k, dt, 3L * m + k);
                     Matrix x32 = GpuTestSupport.random(n, k, DType.F32, 11L * n + k);
                     Matrix x = x32.convert(dt);
                     DeviceMatrix dw = DeviceMatrix.upload(w);
                     DeviceMatrix dx = DeviceMatrix.upload(x);
                     DeviceMatrix dy = DeviceMatrix.allocate(n, m, DType.F32)) {
                    dy.poison();
                    blas.gemm(dw, dx, dy);
                    try (Matrix y = dy.toMatrix()) {
                        float[] got = y.toFloatArray();
                        // against the same (rounded) operands: only accumulation-order error
                        double err = GpuTestSupport.relErr(got, GpuTestSupport.reference(w, x));
                        // against the unrounded f32 activations: the bound for 16-bit operands
                        double errVsF32 = GpuTestSupport.relErr(got, GpuTestSupport.reference(w, x32));
                        double tol = dt == DType.F32 ? 1e-5 : 1e-4;
                        assertTrue(err <= tol, dt + " " + m + "x" + k + " n=" + n + ": rel err " + err);
                        assertTrue(errVsF32 <= (dt == DType.F32 ? 1e-5 : 1e-2), "vs f32 X: " + errVsF32);
                    }
                }
            }
        }
    }

    @Test
    void cublasRejectsMixedOperandTypes() {
        try (CuBlas blas = openCublas();
             DeviceMatrix w = DeviceMatrix.allocate(8, 8, DType.BF16);
             DeviceMatrix x = DeviceMatrix.allocate(2, 8, DType.F32);
             DeviceMatrix y = DeviceMatrix.allocate(2, 8, DType.F32)) {
            assertThrows(IllegalArgumentException.class, () -> blas.gemm(w, x, y));
        }
    }

    private static CuBlas openCublas() {
        try {
            return CuBlas.open();
        } catch (CudaException e) {
            assertEquals(CudaNative.E_CUBLAS_MISSING, e.status(), e.getMessage());
            assumeTrue(false, "cuBLAS not installed here: " + e.getMessage());
            throw e;
        }
    }

    @Test
    void availabilityIsTrueHere() {
        assertTrue(Cuda.available());
        assertTrue(CudaBackend.probe().available(), CudaBackend.probe().reason());
    }
}
