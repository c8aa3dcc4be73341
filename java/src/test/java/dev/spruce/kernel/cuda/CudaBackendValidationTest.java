package dev.spruce.kernel.cuda;

import dev.spruce.cuda.Cuda;
import dev.spruce.kernel.Op;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs everywhere: the backend rejects bad shapes with IllegalArgumentException before it asks for CUDA. */
class CudaBackendValidationTest {
    private final CudaBackend cuda = new CudaBackend();

    @Test
    void supportsDenseAndSixteenBitTwoFour() {
        assertTrue(cuda.supports(Op.GEMM, DType.BF16));
        assertTrue(cuda.supports(Op.GEMV, DType.F32));
        assertTrue(cuda.supports(Op.SPMM24, DType.BF16)); // mma.sp kernels (cuda/sp24_*)
        assertFalse(cuda.supports(Op.SPMM24, DType.F32)); // tensor cores have no f32 2:4 mode
    }

    @Test
    void wrongShapesFailBeforeNativeCode() {
        try (Matrix w = Matrix.allocate(8, 16, DType.BF16);
             Matrix x = Matrix.allocate(3, 15, DType.F32);
             Matrix y = Matrix.allocate(3, 8, DType.F32);
             Matrix xOk = Matrix.allocate(3, 16, DType.F32);
             Matrix yBad = Matrix.allocate(2, 8, DType.F32);
             Matrix xBf16 = Matrix.allocate(3, 16, DType.BF16)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cuda.gemm(w, x, y));
            assertTrue(e.getMessage().contains("K=16"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> cuda.gemm(w, xOk, yBad));
            assertTrue(e.getMessage().contains("batch mismatch"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cuda.gemm(w, xBf16, y));
            assertThrows(IllegalArgumentException.class, () -> cuda.gemv(w, xOk, y));
            assertThrows(IllegalArgumentException.class, () -> cuda.gemm(null, xOk, y));
        }
    }

    @Test
    void closedMatrixIsRejected() {
        Matrix w = Matrix.allocate(8, 16, DType.F32);
        w.close();
        try (Matrix x = Matrix.allocate(1, 16, DType.F32); Matrix y = Matrix.allocate(1, 8, DType.F32)) {
            assertThrows(IllegalStateException.class, () -> cuda.gemv(w, x, y));
        }
    }

    @Test
    void validCallWithoutCudaSaysWhy() {
        if (Cuda.available()) {
            return;
        }
        try (Matrix w = Matrix.allocate(8, 16, DType.F32);
             Matrix x = Matrix.allocate(2, 16, DType.F32);
             Matrix y = Matrix.allocate(2, 8, DType.F32)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> cuda.gemm(w, x, y));
            assertTrue(e.getMessage().contains(Cuda.unavailableReason()), e.getMessage());
        }
    }
}
