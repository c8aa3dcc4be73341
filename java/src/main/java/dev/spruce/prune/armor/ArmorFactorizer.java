package dev.spruce.prune.armor;

import dev.spruce.calib.LayerStats;
import dev.spruce.kernel.linalg.LinAlg;
import dev.spruce.prune.InputNorms;
import dev.spruce.prune.Pattern;
import dev.spruce.prune.PruneResult;
import dev.spruce.prune.ProxyLoss;
import dev.spruce.prune.SparseGptPruner;
import dev.spruce.tensor.Matrix;

import java.util.Arrays;
import java.util.OptionalDouble;

/**
 * ARMOR (Liu et al., ICLR 2026): factorises one linear layer's W (M x K) as Ŵ = A · S · B, S strictly 2:4 and A, B
 * block-diagonal, by block coordinate descent on a proxy loss (research/armor-and-baselines.md §1):
 * <ol>
 *   <li>NoWag normalisation W = D<sub>r</sub> W̄ D<sub>c</sub> (columns first, then rows, ε added to each norm);</li>
 *   <li>a starting core: NoWag-P's mask on W̄ (the reference) or SparseGPT's 2:4 solution; A = B = I;</li>
 *   <li>each iteration: one joint Adam step on A, B and the kept core values with the closed-form gradients,
 *       then one exact re-solve of a gradient-sampled group per tile over the six 2-of-4 supports;</li>
 *   <li>early stop after {@code patience} iterations without relative progress 1e-6;</li>
 *   <li>export with D<sub>r</sub> folded into A's rows and D<sub>c</sub> into B's columns.</li>
 * </ol>
 * Two departures from the reference, both measured in the README: the loss can be the full-Gram output error
 * instead of its diagonal ({@link ArmorLoss}), and the core can start from SparseGPT ({@link ArmorStart}). One more
 * on purpose: the best state seen is kept (the reference keeps the last), so the result never ends above its start
 * even though Adam steps may raise the loss. Deterministic for a given seed at any thread count.
 */
public final class ArmorFactorizer {

    /** Progress: called after every iteration with the current loss. */
    @FunctionalInterface
    public interface Listener {
        void iteration(int done, int max, double loss);
    }

    /** Relative and absolute progress below which an iteration counts as "no progress" (the reference's values). */
    static final double RTOL = 1e-6;
    static final double ATOL = 1e-8;

    private final ArmorConfig config;

    public ArmorFactorizer(ArmorConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("ARMOR config must not be null");
        }
        this.config = config;
    }

    public ArmorFactorizer() {
        this(ArmorConfig.defaults());
    }

    public ArmorConfig config() {
        return config;
    }

    public ArmorFactors factorize(Matrix weights, LayerStats stats) {
        return factorize(weights, stats, null);
    }

    public ArmorFactors factorize(Matrix weights, LayerStats stats, Listener listener) {
        long t0 = System.nanoTime();
        double[] w = Validation.readWeights(weights);
        ArmorRun run = start(w, weights, stats);
        ArmorRun.Snapshot initial = run.snapshot();
        double startLoss = run.loss();
        double[] history = new double[config.iterations()];
        int done = 0;
        double best = startLoss;
        ArmorRun.Snapshot bestState = null;
        double prev = startLoss;
        int patience = config.patience();
        long[] phases = new long[3]; // gradients; Adam + forward (the Gram product); discrete sweep + loss
        for (int it = 1; it <= config.iterations(); it++) {
            long p0 = System.nanoTime();
            run.gradients();
            long p1 = System.nanoTime();
            run.adamStep(config.learningRate());
            long p2 = System.nanoTime();
            if (config.discreteSteps()) {
                run.discreteStep(it);
            }
            double cur = run.loss();
            long p3 = System.nanoTime();
            phases[0] += p1 - p0;
            phases[1] += p2 - p1;
            phases[2] += p3 - p2;
            history[done++] = cur;
            if (cur < best) {
                best = cur;
                bestState = run.snapshot();
            }
            if (listener != null) {
                listener.iteration(it, config.iterations(), cur);
            }
            if (cur > (1 - RTOL) * prev || cur > prev - ATOL) {
                if (--patience == 0) {
                    break;
                }
            } else {
                patience = config.patience();
            }
            prev = cur;
        }
        // The best state seen; the start itself when no iteration went below it.
        run.restore(bestState != null ? bestState : initial);
        return finish(run, w, stats, startLoss, best, Arrays.copyOf(history, done),
                new double[] {phases[0] / 1e9, phases[1] / 1e9, phases[2] / 1e9}, t0);
    }

    /** {@code w}: the weights as read (float64, checked); {@code weights} is still needed by the SparseGPT start. */
    private ArmorRun start(double[] w, Matrix weights, LayerStats stats) {
        int m = weights.rows();
        int k = weights.cols();
        Validation.checkStats(stats, k, config);
        BlockSizePolicy.Sizes sizes = BlockSizePolicy.choose(m, k, config);
        double[] h = InputNorms.sanitize(stats.diagonal());
        double[] gram = config.loss() == ArmorLoss.GRAM ? stats.gram() : null;
        ArmorRun run = new ArmorRun(w, m, k, sizes, h, gram, config.threads(), config.seed());
        double[] values = new double[m * k];
        boolean[] keep = new boolean[m * k];
        if (config.start() == ArmorStart.NOWAG) {
            nowagStart(run, h, values, keep);
        } else {
            sparseGptStart(run, weights, stats, values, keep);
        }
        run.setCore(values, keep);
        return run;
    }

    /** NoWag-P: per group of 4, keep the two largest W̄² h (ties: lower index), values W̄. */
    private static void nowagStart(ArmorRun run, double[] h, double[] values, boolean[] keep) {
        int k = run.k;
        for (int i = 0; i < run.m; i++) {
            for (int g = 0; g < k; g += 4) {
                int o = i * k + g;
                int best = -1;
                int second = -1;
                double bs = -1;
                double ss = -1;
                for (int u = 0; u < 4; u++) {
                    double v = run.wbar[o + u];
                    double sc = v * v * h[g + u];
                    if (sc > bs) {
                        second = best;
                        ss = bs;
                        best = u;
                        bs = sc;
                    } else if (sc > ss) {
                        second = u;
                        ss = sc;
                    }
                }
                keep[o + best] = true;
                keep[o + second] = true;
                values[o + best] = run.wbar[o + best];
                values[o + second] = run.wbar[o + second];
            }
        }
    }

    /** SparseGPT's 2:4 mask and reconstructed values, mapped into the normalised space. */
    private void sparseGptStart(ArmorRun run, Matrix weights, LayerStats stats, double[] values, boolean[] keep) {
        int k = run.k;
        try (PruneResult r = new SparseGptPruner(SparseGptPruner.DEFAULT_PERCDAMP, SparseGptPruner.DEFAULT_BLOCK,
                config.threads()).prune(weights, stats, Pattern.nm(2, 4), false)) {
            float[] sp = r.weights().toFloatArray();
            for (int i = 0; i < run.m; i++) {
                for (int g = 0; g < k; g += 4) {
                    int kept = 0;
                    for (int u = 0; u < 4; u++) {
                        int o = i * k + g + u;
                        if (r.mask().kept(i, g + u)) {
                            keep[o] = true;
                            values[o] = sp[o] / (run.r[i] * run.c[g + u]);
                            kept++;
                        }
                    }
                    // A group SparseGPT left with fewer than two kept positions gets free slots (value 0).
                    for (int u = 0; u < 4 && kept < 2; u++) {
                        if (!keep[i * k + g + u]) {
                            keep[i * k + g + u] = true;
                            kept++;
                        }
                    }
                }
            }
        }
    }

    private ArmorFactors finish(ArmorRun run, double[] w, LayerStats stats, double startLoss, double best,
                                double[] history, double[] phaseSeconds, long t0) {
        BlockSizePolicy.Sizes sizes = new BlockSizePolicy.Sizes(run.ba, run.bb);
        float[] a = run.exportA();
        float[] b = run.exportB();
        float[] core = run.exportCore();
        double[] wHat = ArmorFactors.product(a, b, core, run.m, run.k, sizes, config.threads());
        double[] d = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            d[i] = w[i] - wHat[i];
        }
        OptionalDouble relative = OptionalDouble.empty();
        if (stats.hasGram()) {
            double[] g = stats.gram();
            double[] q = ProxyLoss.quadratics(d, w, run.m, run.k, g, LinAlg.kernels(), config.threads());
            relative = OptionalDouble.of(q[1] > 0 ? q[0] / q[1] : Double.NaN);
        }
        double[] h = InputNorms.sanitize(stats.diagonal());
        double num = 0;
        double den = 0;
        for (int i = 0; i < run.m; i++) {
            for (int j = 0; j < run.k; j++) {
                double sc = run.r[i] * run.c[j];
                double dn = d[i * run.k + j] / sc;
                num += h[j] * dn * dn;
                den += h[j] * run.wbar[i * run.k + j] * run.wbar[i * run.k + j];
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new ArmorFactors(run.m, run.k, sizes, a, b, core, startLoss, best, relative, num / den, history,
                seconds, phaseSeconds, config);
    }
}
