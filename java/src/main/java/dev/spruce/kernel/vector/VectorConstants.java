package dev.spruce.kernel.vector;

import jdk.incubator.vector.VectorShape;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Width-independent facts about this JVM's Vector API, read once. Only classes of this package
 * touch it, and they load only after {@code Backends} has checked that jdk.incubator.vector is readable,
 * so a JVM started without the module never initialises it.
 */
final class VectorConstants {
    private VectorConstants() {
    }

    /** The CPU's preferred vector width in bits (512 on AVX-512, 256 on AVX2, 128 on NEON/SSE). */
    static final int PREFERRED_BITS = VectorShape.preferredShape().vectorBitSize();

    /**
     * Whether fused multiply-add is fast here. Lucene's rule: the JIT must have UseFMA on, and on AMD
     * only with 256+-bit vectors (older AMD cores split the FMA). Override with -Dspruce.vector.fma=true|false.
     * Where FMA is slow the kernels use mul + add, which rounds twice but runs at full speed.
     */
    static final boolean FAST_FMA = fastFma();

    private static boolean fastFma() {
        String forced = System.getProperty("spruce.vector.fma");
        if (forced != null) {
            return Boolean.parseBoolean(forced);
        }
        boolean useFma = vmFlag("UseFMA", true);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!useFma) {
            return false;
        }
        if (arch.equals("amd64") || arch.equals("x86_64")) {
            // UseXmmI2F is on only for AMD CPUs: the hint Lucene uses to tell AMD from Intel.
            boolean amd = vmFlag("UseXmmI2F", false);
            return !amd || PREFERRED_BITS >= 256;
        }
        return true;
    }

    private static boolean vmFlag(String name, boolean dflt) {
        try {
            var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return Boolean.parseBoolean(bean.getVMOption(name).getValue());
        } catch (RuntimeException | LinkageError e) {
            return dflt;
        }
    }
}
