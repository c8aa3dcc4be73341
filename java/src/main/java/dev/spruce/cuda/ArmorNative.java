package dev.spruce.cuda;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of {@code native/spruce_armor.h}: ARMOR's batched block-diagonal product (kernel in
 * {@code cuda/armor_blockdiag.cu*}, linked into {@code libspruce_cuda.so}). Statuses: 0, a negative {@code E_*}
 * argument error, or a positive {@code cudaError_t}; {@link #spruce_armor_status_string} names any.
 *
 * <p>Do not call this class directly: nothing here checks arguments. {@link ArmorKernels} validates everything
 * first and turns statuses into {@link CudaException}s.
 */
@Platform(include = "spruce_armor.h", link = "spruce_cuda")
public final class ArmorNative {
    static {
        Loader.load();
    }

    private ArmorNative() {
    }

    public static final int F32 = 0;
    public static final int BF16 = 1;
    public static final int F16 = 2;
    public static final int OK = 0;
    public static final int E_NULL = -201;
    public static final int E_SHAPE = -202;
    public static final int E_ALIGN = -203;
    public static final int E_DTYPE = -204;
    public static final int E_ALIAS = -205;

    public static native int spruce_armor_blockdiag(@Cast("const float*") Pointer blocks, @Const Pointer x, Pointer y,
                                                    @Cast("const float*") Pointer bias, int n, int bs, int tokens,
                                                    int inDtype, int outDtype, Pointer stream);

    public static native @Cast("const char*") String spruce_armor_status_string(int status);
}
