package dev.spruce.cuda;

import dev.spruce.tensor.DType;
import org.bytedeco.javacpp.Pointer;

/**
 * The cuBLAS dense baseline. libcublas is not linked: the native side dlopen's it on first use (it is
 * absent on the build machines, present on GPU hosts), so {@link #open()} can fail with a clear reason
 * while the rest of the CUDA layer works.
 */
public final class CuBlas implements AutoCloseable {
    private final Pointer handle;
    private volatile boolean closed;

    private CuBlas(Pointer handle) {
        this.handle = handle;
    }

    /** Loads cuBLAS if needed and creates a handle; throws {@link CudaException} saying why when it cannot. */
    public static CuBlas open() {
        Cuda.require();
        Pointer h = new Pointer();
        Cuda.check(CudaNative.spruce_cublas_create(h), "cublasCreate");
        return new CuBlas(Pointers.at(h.address(), 0));
    }

    /** Where libcublas was loaded from, or why it could not be; "CUDA is not available: ..." without CUDA. */
    public static String origin() {
        if (!Cuda.available()) {
            return "CUDA is not available: " + Cuda.unavailableReason();
        }
        return CudaNative.spruce_cublas_origin();
    }

    /**
     * Y (N x M) = X (N x K) W<sup>T</sup> with cublasGemmEx and f32 compute. W and X have the same dtype
     * (F32, BF16 or F16); Y is F32 or that dtype.
     */
    public void gemm(DeviceMatrix w, DeviceMatrix x, DeviceMatrix y) {
        if (closed) {
            throw new IllegalStateException("cuBLAS handle is closed");
        }
        CudaKernels.checkGemm(w, x, y, null, null);
        if (x.dtype() != w.dtype()) {
            throw new IllegalArgumentException("cuBLAS GEMM needs X in the weights' dtype " + w.dtype() + ", got "
                    + x.dtype() + " (convert X on the device first)");
        }
        if (y.dtype() != DType.F32 && y.dtype() != w.dtype()) {
            throw new IllegalArgumentException("cuBLAS GEMM output must be F32 or " + w.dtype() + ", got " + y.dtype());
        }
        Cuda.check(CudaNative.spruce_cublas_gemm(handle, null, CudaKernels.code(w.dtype()), w.pointer(),
                CudaKernels.code(x.dtype()), x.pointer(), CudaKernels.code(y.dtype()), y.pointer(), x.rows(), w.rows(),
                w.cols()), "cublasGemmEx");
    }

    @Override
    public void close() {
        if (!closed) {
            synchronized (this) {
                if (!closed) {
                    closed = true;
                    Cuda.check(CudaNative.spruce_cublas_destroy(handle), "cublasDestroy");
                }
            }
        }
    }
}
