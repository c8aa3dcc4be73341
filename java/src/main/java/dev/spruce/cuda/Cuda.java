package dev.spruce.cuda;

import org.bytedeco.javacpp.Loader;

import java.nio.charset.StandardCharsets;

/**
 * Entry point of the CUDA layer: is CUDA usable here, and if not, why; device queries; status checks.
 *
 * <p>{@link #available()} never throws and never takes the JVM down: it first looks for the JNI library
 * on the class path (absent when the jar was built without nvcc), then loads it, then asks the runtime for
 * devices, reading the status before the count (with no driver {@code cudaGetDeviceCount} returns 35 and
 * leaves the count undefined). The answer is computed once per JVM.
 * {@code -Dspruce.cuda.disable=true} forces "unavailable" (for CPU-only runs on a GPU host).
 */
public final class Cuda {
    /** cudaErrorInsufficientDriver: no driver, or one older than the runtime. */
    static final int INSUFFICIENT_DRIVER = 35;
    /** cudaErrorNoDevice. */
    static final int NO_DEVICE = 100;

    private Cuda() {
    }

    private static final class State {
        static final String REASON = probe();
    }

    /** True when the native library loaded and at least one CUDA device answers. Never throws. */
    public static boolean available() {
        return State.REASON == null;
    }

    /** Why CUDA is unavailable ("" when it is available). Never throws. */
    public static String unavailableReason() {
        String r = State.REASON;
        return r == null ? "" : r;
    }

    /** Throws {@link IllegalStateException} with {@link #unavailableReason()} unless CUDA is available. */
    public static void require() {
        if (!available()) {
            throw new IllegalStateException("CUDA is not available: " + unavailableReason());
        }
    }

    /** Class-path resource of the JNI library JavaCPP builds (present only when nvcc built the backend). */
    static String jniResource() {
        return "dev/spruce/cuda/" + Loader.getPlatform() + "/" + System.mapLibraryName("jniCudaNative");
    }

    private static String probe() {
        try {
            if (Boolean.getBoolean("spruce.cuda.disable")) {
                return "disabled by -Dspruce.cuda.disable=true";
            }
            if (Cuda.class.getClassLoader().getResource(jniResource()) == null) {
                return "native library not built (this build had no nvcc; " + jniResource() + " is not on the class path)";
            }
            try {
                Loader.load(CudaNative.class);
            } catch (Throwable t) {
                return "native library failed to load: " + t;
            }
            int[] count = new int[1];
            int st = CudaNative.spruce_device_count(count);
            if (st == INSUFFICIENT_DRIVER) {
                int[] drv = new int[1];
                CudaNative.spruce_driver_version(drv);
                int[] rt = new int[1];
                CudaNative.spruce_runtime_version(rt);
                return drv[0] == 0
                        ? "no CUDA driver (cudaGetDeviceCount status 35: libcuda.so.1 not found)"
                        : "CUDA driver " + version(drv[0]) + " is older than the runtime " + version(rt[0])
                          + " (cudaGetDeviceCount status 35)";
            }
            if (st == NO_DEVICE) {
                return "no CUDA device (cudaGetDeviceCount status 100: " + CudaNative.spruce_last_error() + ")";
            }
            if (st != 0) {
                return "cudaGetDeviceCount failed with status " + st + ": " + CudaNative.spruce_last_error();
            }
            if (count[0] <= 0) {
                return "no CUDA device (cudaGetDeviceCount found 0)";
            }
            return null;
        } catch (Throwable t) {
            return "CUDA probe failed: " + t;
        }
    }

    static String version(int v) {
        return (v / 1000) + "." + (v % 1000) / 10;
    }

    /** Throws a {@link CudaException} naming {@code call} when {@code status} is not 0. */
    public static void check(int status, String call) {
        if (status != 0) {
            String msg = CudaNative.spruce_last_error();
            if ((msg == null || msg.isEmpty()) && status > 0) {
                msg = CudaNative.spruce_cuda_error_string(status);
            }
            throw new CudaException(call, status, msg);
        }
    }

    /** Number of devices (0 when CUDA is unavailable). */
    public static int deviceCount() {
        if (!available()) {
            return 0;
        }
        int[] count = new int[1];
        check(CudaNative.spruce_device_count(count), "cudaGetDeviceCount");
        return count[0];
    }

    /** Properties of device {@code index}. */
    public static DeviceInfo device(int index) {
        require();
        int n = deviceCount();
        if (index < 0 || index >= n) {
            throw new IllegalArgumentException("device index " + index + " out of range (this host has " + n + ")");
        }
        byte[] name = new byte[256];
        check(CudaNative.spruce_device_name(index, name, name.length), "cudaGetDeviceProperties");
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        long[] f = new long[CudaNative.DEVICE_INFO_FIELDS];
        check(CudaNative.spruce_device_info(index, f), "spruce_device_info");
        int[] rt = new int[1];
        check(CudaNative.spruce_runtime_version(rt), "cudaRuntimeGetVersion");
        int[] drv = new int[1];
        check(CudaNative.spruce_driver_version(drv), "cudaDriverGetVersion");
        return new DeviceInfo(index, new String(name, 0, len, StandardCharsets.UTF_8), (int) f[0], (int) f[1],
                (int) f[2], f[3], f[4], f[5], f[6], f[7], (int) f[8], version(rt[0]), version(drv[0]));
    }

    /** Waits for all work on the current device. */
    public static void synchronize() {
        require();
        check(CudaNative.spruce_device_synchronize(), "cudaDeviceSynchronize");
    }
}
