package dev.spruce.cuda;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of {@code native/spruce_block.h}: the block-sparse GEMM on {@code mma.sync} tensor cores (kernel in
 * {@code cuda/block_sparse.*}, linked into {@code libspruce_cuda.so}). Statuses: 0, a negative {@code E_*} argument
 * error, or a positive {@code cudaError_t}; {@link #spruce_block_status_string} names any.
 *
 * <p>Do not call this class directly: nothing here checks arguments, and the C side trusts the index arrays.
 * {@link DeviceBlockSparse} and {@link BlockKernels} validate everything first and turn statuses into
 * {@link CudaException}s.
 */
@Platform(include = "spruce_block.h", link = "spruce_cuda")
public final class BlockNative {
    static {
        Loader.load();
    }

    private BlockNative() {
    }

    /** Weight rows per row group (SPRUCE_BLOCK_GROUP_ROWS). */
    public static final int GROUP_ROWS = 128;
    public static final int KERNEL_AUTO = 0;
    public static final int KERNEL_SMALL = 1;
    public static final int KERNEL_MEDIUM = 2;
    public static final int KERNEL_LARGE = 3;
    public static final int OK = 0;
    public static final int E_NULL = -201;
    public static final int E_SHAPE = -202;
    public static final int E_ALIGN = -203;
    public static final int E_BLOCK = -204;
    public static final int E_KERNEL = -205;
    public static final int E_DEVICE = -206;

    public static native int spruce_block_gemm(@Const Pointer values, @Cast("const int32_t*") Pointer groupPtr,
                                               @Cast("const int32_t*") Pointer entryCol,
                                               @Cast("const int32_t*") Pointer entryBlock, @Const Pointer x,
                                               @Cast("float*") Pointer y, int m, int k, int n, int bh, int bw,
                                               Pointer stream);

    public static native int spruce_block_gemm_ex(@Const Pointer values, @Cast("const int32_t*") Pointer groupPtr,
                                                  @Cast("const int32_t*") Pointer entryCol,
                                                  @Cast("const int32_t*") Pointer entryBlock, @Const Pointer x,
                                                  @Cast("float*") Pointer y, int m, int k, int n, int bh, int bw,
                                                  int kernel, Pointer stream);

    public static native @Cast("const char*") String spruce_block_status_string(int status);
}
