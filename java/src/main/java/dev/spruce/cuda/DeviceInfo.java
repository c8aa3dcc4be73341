package dev.spruce.cuda;

/** What {@code cudaGetDeviceProperties} says about one device (memory sizes in bytes). */
public record DeviceInfo(int index, String name, int smCount, int ccMajor, int ccMinor, long totalMemory,
                         long freeMemory, long l2Bytes, long sharedMemPerBlockOptin, long sharedMemPerSm,
                         int memoryBusWidthBits, String runtimeVersion, String driverVersion) {

    /** "9.0" style compute capability. */
    public String computeCapability() {
        return ccMajor + "." + ccMinor;
    }

    /** One line for logs and reports. */
    public String summary() {
        return String.format("device %d: %s, CC %s, %d SMs, %.1f GiB (%.1f GiB free), L2 %d MiB, smem/block %d KiB,"
                        + " bus %d bit, runtime %s, driver %s",
                index, name, computeCapability(), smCount, totalMemory / 1073741824.0, freeMemory / 1073741824.0,
                l2Bytes >> 20, sharedMemPerBlockOptin >> 10, memoryBusWidthBits, runtimeVersion, driverVersion);
    }
}
