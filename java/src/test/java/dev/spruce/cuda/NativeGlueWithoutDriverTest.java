package dev.spruce.cuda;

import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs where the native library was built but there is no driver (the build machines): the JNI glue, the
 * status/last-error plumbing and the cuBLAS loader can all be exercised without a GPU.
 */
class NativeGlueWithoutDriverTest {

    private static void assumeLibraryWithoutDriver() {
        String r = Cuda.unavailableReason();
        assumeTrue(!Cuda.available() && r.contains("driver") && !r.contains("failed to load"),
                () -> "needs the built library on a machine without a CUDA driver; here: "
                        + (Cuda.available() ? "CUDA is available" : r));
    }

    @Test
    void statusAndLastErrorNameTheCall() {
        assumeLibraryWithoutDriver();
        int[] count = {42};
        int st = CudaNative.spruce_device_count(count);
        assertEquals(Cuda.INSUFFICIENT_DRIVER, st);
        assertEquals(0, count[0], "count must be zeroed when the status is not 0");
        assertTrue(CudaNative.spruce_last_error().startsWith("cudaGetDeviceCount: "), CudaNative.spruce_last_error());
        assertTrue(CudaNative.spruce_cuda_error_string(2).toLowerCase().contains("memory"));

        Pointer p = new Pointer();
        st = CudaNative.spruce_malloc(p, 64);
        assertNotEquals(0, st);
        assertEquals(0, p.address());
        assertTrue(CudaNative.spruce_last_error().startsWith("cudaMalloc(64 bytes): "), CudaNative.spruce_last_error());
        CudaException e = org.junit.jupiter.api.Assertions.assertThrows(CudaException.class,
                () -> Cuda.check(CudaNative.spruce_malloc(new Pointer(), 64), "cudaMalloc"));
        assertTrue(e.getMessage().contains("cudaMalloc(64 bytes)"), e.getMessage());
    }

    @Test
    void nativeSideValidatesToo() {
        assumeLibraryWithoutDriver();
        assertEquals(CudaNative.E_INVALID_ARGUMENT, CudaNative.spruce_dense_gemm(7, null, null, null, 1, 1, 1, null));
        assertTrue(CudaNative.spruce_last_error().contains("bad weight type"), CudaNative.spruce_last_error());
        assertEquals(CudaNative.E_INVALID_ARGUMENT,
                CudaNative.spruce_dense_gemm(CudaNative.F32, null, null, null, 0, 1, 1, null));
        assertEquals(CudaNative.E_INVALID_ARGUMENT, CudaNative.spruce_memcpy(null, null, 8, 9));
    }

    @Test
    void cublasLoaderExplainsWhatItTried() {
        assumeLibraryWithoutDriver();
        String origin = CudaNative.spruce_cublas_origin();
        Pointer h = new Pointer();
        int st = CudaNative.spruce_cublas_create(h);
        if (origin.contains("not found")) {
            assertEquals(CudaNative.E_CUBLAS_MISSING, st);
            assertTrue(CudaNative.spruce_last_error().contains("libcublas"), CudaNative.spruce_last_error());
            assertTrue(origin.contains("SPRUCE_CUBLAS"), origin);
        } else {
            assertNotEquals(0, st, "a cuBLAS handle cannot be created without a driver");
        }
        assertEquals(CudaNative.E_CUBLAS_MISSING,
                CudaNative.spruce_cublas_gemm(null, null, 0, null, 0, null, 0, null, 1, 1, 1));
    }
}
