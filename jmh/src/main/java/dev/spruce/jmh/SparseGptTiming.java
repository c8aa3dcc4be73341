package dev.spruce.jmh;

import dev.spruce.calib.LayerStats;
import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.linalg.LinAlg;
import dev.spruce.prune.MagnitudePruner;
import dev.spruce.prune.NoWagPruner;
import dev.spruce.prune.Pattern;
import dev.spruce.prune.PruneResult;
import dev.spruce.prune.Pruner;
import dev.spruce.prune.SparseGptPruner;
import dev.spruce.prune.WandaPruner;
import dev.spruce.tensor.Matrix;

import java.util.Map;
import java.util.Random;

/**
 * One timed end-to-end run of calibration and 2:4 pruning on a synthetic layer (a single cold-ish
 * run, as a user would see it, so not a JMH benchmark): Gram accumulation, then SparseGPT with its
 * phases, then the score pruners, each with the exact proxy loss.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar dev.spruce.jmh.SparseGptTiming [M K tokens [sparsegpt-only|gram-only]]</pre>
 *
 * Activations are correlated on purpose (64 shared latent factors plus noise, with per-column scales
 * spread over two orders of magnitude, like LLM outlier features), which is where SparseGPT's
 * reconstruction pays off.
 */
public final class SparseGptTiming {
    private SparseGptTiming() {
    }

    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 2048;
        boolean all = args.length <= 3 || !args[3].equals("sparsegpt-only");
        System.out.printf("layer %dx%d, %d calibration tokens, %d threads, %s%n", m, k, n,
                Parallel.defaultThreadCount(), LinAlg.kernels());
        Random rnd = new Random(42);
        float[] w = new float[m * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() * 0.02);
        }
        float[] x = correlatedActivations(rnd, n, k);
        long c0 = cpuNanos();
        long t0 = System.nanoTime();
        LayerStats stats = LayerStats.full("synthetic", k);
        stats.accumulate(x, n);
        double gram = (System.nanoTime() - t0) * 1e-9;
        System.out.printf("Gram X^T X (%d x %d, float64): %.2f s wall, %.2f s CPU%n", k, k, gram, (cpuNanos() - c0) * 1e-9);
        if (args.length > 3 && args[3].equals("gram-only")) {
            return;
        }
        try (Matrix wm = Matrix.of(w, m, k)) {
            Pruner[] pruners = all
                    ? new Pruner[]{new SparseGptPruner(), new WandaPruner(), new NoWagPruner(), new MagnitudePruner()}
                    : new Pruner[]{new SparseGptPruner()};
            for (Pruner p : pruners) {
                long s0 = System.nanoTime();
                long sc = cpuNanos();
                try (PruneResult r = p.prune(wm, stats, Pattern.TWO_FOUR)) {
                    double total = (System.nanoTime() - s0) * 1e-9;
                    double cpu = (cpuNanos() - sc) * 1e-9;
                    StringBuilder sb = new StringBuilder();
                    for (Map.Entry<String, Double> e : r.phaseSeconds().entrySet()) {
                        sb.append(String.format(" %s %.2f s wall / %.2f s CPU;", e.getKey(), e.getValue(),
                                r.phaseCpuSeconds().get(e.getKey())));
                    }
                    System.out.printf("%-10s 2:4 total %.2f s wall, %.2f s CPU (per phase:%s) relative loss %.5f%n",
                            p.name(), total, cpu,
                            sb.toString().trim(), r.relativeLoss().orElse(Double.NaN));
                }
            }
        }
    }

    /** CPU time of the whole process: with other jobs on the machine, wall time alone overstates the cost. */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static float[] correlatedActivations(Random rnd, int n, int k) {
        int f = 64;
        double[] factors = new double[f * k];
        for (int i = 0; i < factors.length; i++) {
            factors[i] = rnd.nextGaussian();
        }
        double[] scale = new double[k];
        for (int j = 0; j < k; j++) {
            scale[j] = Math.exp(rnd.nextGaussian() * 1.0);
        }
        float[] x = new float[n * k];
        double[] z = new double[f];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < f; i++) {
                z[i] = rnd.nextGaussian();
            }
            for (int j = 0; j < k; j++) {
                double v = 0.5 * rnd.nextGaussian();
                for (int i = 0; i < f; i++) {
                    v += z[i] * factors[i * k + j];
                }
                x[t * k + j] = (float) (v * scale[j] / 8.0);
            }
        }
        return x;
    }
}
