package dev.spruce.cuda;

/**
 * Checked launcher of the 2:4 sparse GEMM: Y (N x M) = X (N x K) S<sup>T</sup> for a {@link DeviceSparse24} S,
 * X in the weights' 16-bit type, Y f32/bf16/f16, f32 accumulation. Arguments are validated here, before the
 * native call; launches go to the default stream and are asynchronous.
 *
 * <p>The split-K workspace is one device buffer per process, grown on demand and zeroed once (the kernels
 * leave it zeroed). Sharing it is safe because every launch from here is on the default stream, which
 * serialises them; the synchronisation makes concurrent Java callers queue their launches one at a time.
 */
public final class Sp24Kernels {
    private static DeviceBuffer workspace;

    private Sp24Kernels() {
    }

    /** Validates a 2:4 product on device matrices (no CUDA needed). */
    public static void check(DeviceSparse24 s, DeviceMatrix x, DeviceMatrix y) {
        if (s == null) {
            throw new IllegalArgumentException("sparse weights must not be null");
        }
        if (x == null || y == null) {
            throw new IllegalArgumentException((x == null ? "input X" : "output Y") + " must not be null");
        }
        s.requireOpen();
        x.requireOpen();
        y.requireOpen();
        if (x.dtype() != s.valueType()) {
            throw new IllegalArgumentException("input X must have the weights' value type " + s.valueType()
                    + ", got " + x.dtype() + " (convert it on the device with DeviceMatrix.convert)");
        }
        if (x.cols() != s.cols()) {
            throw new IllegalArgumentException("input X has " + x.cols() + " columns but the weights take K="
                    + s.cols() + " (X must be tokens x " + s.cols() + ")");
        }
        if (y.cols() != s.rows()) {
            throw new IllegalArgumentException("output Y has " + y.cols() + " columns but the weights give M="
                    + s.rows() + " (Y must be tokens x " + s.rows() + ")");
        }
        if (y.rows() != x.rows()) {
            throw new IllegalArgumentException("batch mismatch: X has " + x.rows() + " tokens, Y has " + y.rows());
        }
        if (y == x) {
            throw new IllegalArgumentException("output Y must not alias the input");
        }
    }

    /** Y = X S<sup>T</sup> with the automatic kernel choice. */
    public static void spmm24(DeviceSparse24 s, DeviceMatrix x, DeviceMatrix y) {
        spmm24(s, x, y, Sp24Native.KERNEL_AUTO, 0);
    }

    /** Y = X S<sup>T</sup> with a forced kernel ({@code Sp24Native.KERNEL_*}) and split count (0 = automatic). */
    public static synchronized void spmm24(DeviceSparse24 s, DeviceMatrix x, DeviceMatrix y, int kernel, int splits) {
        check(s, x, y);
        if (kernel < Sp24Native.KERNEL_AUTO || kernel > Sp24Native.KERNEL_WIDE || splits < 0) {
            throw new IllegalArgumentException("kernel must be 0..3 and splits >= 0, got " + kernel + ", " + splits);
        }
        Cuda.require();
        int m = s.rows(), k = s.cols(), n = x.rows();
        long need = Sp24Native.spruce_sp24_workspace_bytes_ex(m, k, n, kernel, splits);
        DeviceBuffer ws = workspace(need);
        check(Sp24Native.spruce_sp24_gemm_ex(s.values().pointer(), s.meta().pointer(), x.pointer(), y.pointer(), m, k,
                n, CudaKernels.code(s.valueType()), CudaKernels.code(y.dtype()), ws == null ? null : ws.pointer(),
                ws == null ? 0 : ws.byteSize(), kernel, splits, null), "spruce_sp24_gemm");
    }

    private static DeviceBuffer workspace(long bytes) {
        if (bytes <= 0) {
            return workspace;
        }
        if (workspace == null || workspace.isClosed() || workspace.byteSize() < bytes) {
            if (workspace != null && !workspace.isClosed()) {
                Cuda.synchronize(); // queued launches may still use the old buffer
                workspace.close();
            }
            workspace = null;
            DeviceBuffer b = DeviceBuffer.allocate(bytes);
            check(Sp24Native.spruce_sp24_workspace_init(b.pointer(), bytes, null), "spruce_sp24_workspace_init");
            workspace = b;
        }
        return workspace;
    }

    /** Throws a {@link CudaException} naming {@code call} with the 2:4 library's text for a non-zero status. */
    static void check(int status, String call) {
        if (status != 0) {
            throw new CudaException(call, status, Sp24Native.spruce_sp24_status_string(status));
        }
    }
}
