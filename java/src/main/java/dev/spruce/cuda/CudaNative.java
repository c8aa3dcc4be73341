package dev.spruce.cuda;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.ByPtrPtr;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of {@code native/spruce_cuda.h} (hand-written; the JavaCPP Maven plugin compiles the
 * JNI glue {@code libjniCudaNative.so} against {@code libspruce_cuda.so}). Every function returns a status
 * (0 = success) and leaves a message in {@link #spruce_last_error()} on failure.
 *
 * <p>Do not call this class directly: loading it throws when the library was not built, and nothing here
 * checks arguments. {@link Cuda}, {@link DeviceBuffer}, {@link DeviceMatrix}, {@link CuBlas} and
 * {@link CudaKernels} validate everything first and turn statuses into {@link CudaException}s.
 */
@Platform(include = "spruce_cuda.h", link = "spruce_cuda")
public final class CudaNative {
    static {
        Loader.load();
    }

    private CudaNative() {
    }

    public static final int F32 = 0;
    public static final int BF16 = 1;
    public static final int F16 = 2;
    public static final int E_INVALID_ARGUMENT = -1;
    public static final int E_CUBLAS_MISSING = -2;
    public static final int E_CUBLAS = -3;
    public static final int E_UNSUPPORTED = -4;
    public static final int DEVICE_INFO_FIELDS = 10;
    public static final int HOST_TO_DEVICE = 1;
    public static final int DEVICE_TO_HOST = 2;
    public static final int DEVICE_TO_DEVICE = 3;

    public static native @Cast("const char*") String spruce_last_error();

    public static native @Cast("const char*") String spruce_cuda_error_string(int status);

    public static native int spruce_runtime_version(int[] version);

    public static native int spruce_driver_version(int[] version);

    public static native int spruce_device_count(int[] count);

    public static native int spruce_set_device(int device);

    public static native int spruce_device_name(int device, @Cast("char*") byte[] name, int len);

    public static native int spruce_device_info(int device, @Cast("long long*") long[] out);

    public static native int spruce_malloc(@Cast("void**") @ByPtrPtr Pointer ptr, @Cast("size_t") long bytes);

    public static native int spruce_free(Pointer ptr);

    public static native int spruce_memcpy(Pointer dst, @Const Pointer src, @Cast("size_t") long bytes, int kind);

    public static native int spruce_memset(Pointer ptr, int value, @Cast("size_t") long bytes, Pointer stream);

    public static native int spruce_device_synchronize();

    public static native int spruce_stream_create(@Cast("void**") @ByPtrPtr Pointer stream);

    public static native int spruce_stream_destroy(Pointer stream);

    public static native int spruce_stream_synchronize(Pointer stream);

    public static native int spruce_event_create(@Cast("void**") @ByPtrPtr Pointer event);

    public static native int spruce_event_destroy(Pointer event);

    public static native int spruce_event_record(Pointer event, Pointer stream);

    public static native int spruce_event_synchronize(Pointer event);

    public static native int spruce_event_elapsed_ms(Pointer start, Pointer end, float[] ms);

    public static native int spruce_convert(Pointer dst, int dstType, @Const Pointer src, int srcType,
                                            @Cast("size_t") long count, Pointer stream);

    public static native int spruce_fill_uniform(Pointer dst, int type, @Cast("size_t") long count,
                                                 @Cast("unsigned long long") long seed, float scale, Pointer stream);

    public static native int spruce_dense_gemm(int wType, @Const Pointer w, @Cast("const float*") Pointer x,
                                               @Cast("float*") Pointer y, int n, int m, int k, Pointer stream);

    public static native int spruce_cublas_create(@Cast("void**") @ByPtrPtr Pointer handle);

    public static native int spruce_cublas_destroy(Pointer handle);

    public static native @Cast("const char*") String spruce_cublas_origin();

    public static native int spruce_cublas_gemm(Pointer handle, Pointer stream, int wType, @Const Pointer w, int xType,
                                                @Const Pointer x, int yType, Pointer y, int n, int m, int k);
}
