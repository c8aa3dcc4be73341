package dev.spruce.cuda;

/**
 * A CUDA (or cuBLAS, or Spruce native) call returned a non-zero status. The message names the call, the
 * status and the native error text, e.g. {@code cudaMalloc failed with status 2: cudaMalloc(1099511627776
 * bytes): out of memory (cudaErrorMemoryAllocation)}.
 */
public final class CudaException extends RuntimeException {
    private final String call;
    private final int status;

    public CudaException(String call, int status, String nativeMessage) {
        super(call + " failed with status " + status + (nativeMessage == null || nativeMessage.isEmpty()
                ? "" : ": " + nativeMessage));
        this.call = call;
        this.status = status;
    }

    /** The Java-side name of the failing call. */
    public String call() {
        return call;
    }

    /** The status: a cudaError_t value when positive, a Spruce code ({@code CudaNative.E_*}) when negative. */
    public int status() {
        return status;
    }
}
