package dev.spruce.prune;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall-clock and process CPU seconds per phase of one pruning run. CPU time is reported because on a
 * shared machine wall time mostly measures the neighbours; it is NaN where the JVM cannot report it.
 */
final class PhaseTimer {
    private final Map<String, Double> wall = new LinkedHashMap<>();
    private final Map<String, Double> cpu = new LinkedHashMap<>();
    private long wall0;
    private long cpu0;

    void start() {
        wall0 = System.nanoTime();
        cpu0 = processCpuNanos();
    }

    /** Adds the time since {@link #start()} to {@code phase} (repeated phases accumulate). */
    void stop(String phase) {
        wall.merge(phase, (System.nanoTime() - wall0) * 1e-9, Double::sum);
        long c = processCpuNanos();
        cpu.merge(phase, c < 0 || cpu0 < 0 ? Double.NaN : (c - cpu0) * 1e-9, Double::sum);
    }

    Map<String, Double> wall() {
        return wall;
    }

    Map<String, Double> cpu() {
        return cpu;
    }

    private static long processCpuNanos() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }
}
