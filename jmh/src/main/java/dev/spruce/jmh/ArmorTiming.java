package dev.spruce.jmh;

import dev.spruce.calib.LayerStats;
import dev.spruce.kernel.Parallel;
import dev.spruce.prune.armor.ArmorConfig;
import dev.spruce.prune.armor.ArmorFactorizer;
import dev.spruce.prune.armor.ArmorFactors;
import dev.spruce.prune.armor.ArmorLoss;
import dev.spruce.prune.armor.ArmorStart;
import dev.spruce.tensor.Matrix;

import java.util.Locale;
import java.util.Random;

/**
 * One timed ARMOR factorisation of a synthetic layer (a cold run as a user sees it, so not a JMH benchmark),
 * with the time per iteration split into its phases.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar dev.spruce.jmh.ArmorTiming [M K tokens iterations [gram|diagonal [sparsegpt|nowag [bs]]]]</pre>
 */
public final class ArmorTiming {
    private ArmorTiming() {
    }

    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 384;
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 1536;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 2048;
        int it = args.length > 3 ? Integer.parseInt(args[3]) : 50;
        ArmorConfig cfg = ArmorConfig.defaults().withIterations(it).withPatience(Math.max(1, it));
        if (args.length > 4) {
            cfg = cfg.withLoss(ArmorLoss.parse(args[4]));
        }
        if (args.length > 5) {
            cfg = cfg.withStart(ArmorStart.parse(args[5]));
        }
        if (args.length > 6) {
            cfg = cfg.withBlockSize(Integer.parseInt(args[6]));
        }
        Random rnd = new Random(42);
        float[] w = new float[m * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() * 0.02);
        }
        float[] x = SparseGptTiming.correlatedActivations(rnd, n, k);
        LayerStats stats = LayerStats.full("synthetic", k);
        stats.accumulate(x, n);
        long c0 = SparseGptTiming.cpuNanos();
        try (Matrix wm = Matrix.of(w, m, k)) {
            ArmorFactors f = new ArmorFactorizer(cfg).factorize(wm, stats);
            double cpu = (SparseGptTiming.cpuNanos() - c0) * 1e-9;
            double[] ph = f.phaseSeconds();
            System.out.printf(Locale.ROOT, "%dx%d %s, %d threads: %s%n  %.2f s wall, %.2f s CPU; per iteration: gradients "
                            + "%.1f ms, Adam + forward %.1f ms, discrete + loss %.1f ms%n", m, k, cfg.describe(),
                    Parallel.defaultThreadCount(), f, f.seconds(), cpu, 1e3 * ph[0] / f.iterations(),
                    1e3 * ph[1] / f.iterations(), 1e3 * ph[2] / f.iterations());
        }
    }
}
