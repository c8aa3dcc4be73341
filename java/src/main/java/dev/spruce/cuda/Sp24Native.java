package dev.spruce.cuda;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of {@code native/spruce_sp24.h}: the 2:4 sparse GEMM on {@code mma.sp} tensor cores
 * (kernels in {@code cuda/sp24_*}, linked into {@code libspruce_cuda.so}). Statuses: 0, a negative
 * {@code E_*} argument error, or a positive {@code cudaError_t}; {@link #spruce_sp24_status_string} names any.
 *
 * <p>Do not call this class directly: nothing here checks arguments. {@link DeviceSparse24} and
 * {@link Sp24Kernels} validate everything first and turn statuses into {@link CudaException}s.
 */
@Platform(include = "spruce_sp24.h", link = "spruce_cuda")
public final class Sp24Native {
    static {
        Loader.load();
    }

    private Sp24Native() {
    }

    public static final int F32 = 0;
    public static final int BF16 = 1;
    public static final int F16 = 2;
    public static final int KERNEL_AUTO = 0;
    public static final int KERNEL_SMALL = 1;
    public static final int KERNEL_LARGE = 2;
    public static final int KERNEL_WIDE = 3;
    public static final int OK = 0;
    public static final int E_NULL = -101;
    public static final int E_SHAPE = -102;
    public static final int E_ALIGN = -103;
    public static final int E_DTYPE = -104;
    public static final int E_KERNEL = -105;
    public static final int E_DEVICE = -106;

    public static native @Cast("size_t") long spruce_sp24_workspace_bytes(int m, int k, int n);

    public static native @Cast("size_t") long spruce_sp24_workspace_bytes_ex(int m, int k, int n, int kernel, int splits);

    public static native int spruce_sp24_workspace_init(Pointer workspace, @Cast("size_t") long bytes, Pointer stream);

    public static native int spruce_sp24_gemm(@Const Pointer values, @Cast("const uint32_t*") Pointer meta,
                                              @Const Pointer x, Pointer y, int m, int k, int n, int inDtype,
                                              int outDtype, Pointer workspace, @Cast("size_t") long workspaceBytes,
                                              Pointer stream);

    public static native int spruce_sp24_gemm_ex(@Const Pointer values, @Cast("const uint32_t*") Pointer meta,
                                                 @Const Pointer x, Pointer y, int m, int k, int n, int inDtype,
                                                 int outDtype, Pointer workspace, @Cast("size_t") long workspaceBytes,
                                                 int kernel, int splits, Pointer stream);

    public static native int spruce_sp24_mma_probe(@Cast("const uint32_t*") Pointer a, @Cast("const uint32_t*") Pointer b,
                                                   @Cast("const uint32_t*") Pointer e, @Cast("float*") Pointer d,
                                                   int selector, int dtype, Pointer stream);

    public static native @Cast("const char*") String spruce_sp24_status_string(int status);
}
