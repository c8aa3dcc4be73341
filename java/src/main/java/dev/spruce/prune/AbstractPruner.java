package dev.spruce.prune;

import dev.spruce.calib.LayerStats;
import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.linalg.LinAlg;
import dev.spruce.kernel.linalg.LinAlgKernels;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.util.OptionalDouble;

/**
 * The part every pruner shares: argument checks, reading W into float64 (rejecting NaN and infinity by
 * position), the float32 result, and the losses. Subclasses only decide the mask and the kept values.
 */
abstract class AbstractPruner implements Pruner {
    protected final int threads;
    protected final LinAlgKernels kern;

    AbstractPruner(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.kern = LinAlg.kernels();
    }

    /**
     * Prunes {@code w} (m x k, row-major float64, finite) in place: pruned entries must end as 0 and
     * {@code keep} (row-major) must say which entries are kept. Phases may be timed with {@code timer}.
     */
    abstract void pruneInPlace(double[] w, int m, int k, LayerStats stats, Pattern pattern, boolean[] keep,
                               PhaseTimer timer);

    @Override
    public final PruneResult prune(Matrix weights, LayerStats stats, Pattern pattern, boolean computeLoss) {
        if (weights == null) {
            throw new IllegalArgumentException(name() + ": weights must not be null");
        }
        weights.requireOpen();
        if (pattern == null) {
            throw new IllegalArgumentException(name() + ": pattern must not be null");
        }
        int m = weights.rows();
        int k = weights.cols();
        if ((long) m * k > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name() + ": " + weights.shapeString() + " weights exceed one Java array");
        }
        pattern.checkShape(m, k);
        checkStats(stats, k);
        PhaseTimer timer = new PhaseTimer();
        timer.start();
        double[] w = readFinite(weights);
        double[] original = w.clone();
        boolean[] keep = new boolean[m * k];
        timer.stop("read");
        pruneInPlace(w, m, k, stats, pattern, keep, timer);
        timer.start();
        PruneMask mask = new PruneMask(m, k);
        float[] out = new float[m * k];
        for (int i = 0; i < out.length; i++) {
            if (keep[i]) {
                out[i] = (float) w[i];
                mask.set(i / k, i % k, true);
            } else if (w[i] != 0.0) {
                throw new IllegalStateException(name() + " left a non-zero value at pruned position (" + i / k + ", " + i % k + ")");
            }
            w[i] = original[i] - out[i]; // w now holds D = W - Ŵ, measured against the float32 result
        }
        Matrix result = Matrix.of(out, m, k, DType.F32);
        OptionalDouble proxy = OptionalDouble.empty();
        OptionalDouble relative = OptionalDouble.empty();
        OptionalDouble diagonal = OptionalDouble.empty();
        if (stats != null) {
            diagonal = OptionalDouble.of(ProxyLoss.diagonal(w, m, k, stats.diagonal()));
            if (stats.hasGram() && computeLoss) {
                double[] g = stats.gram();
                double[] q = ProxyLoss.quadratics(w, original, m, k, g, kern, threads);
                double loss = q[0];
                double base = q[1];
                proxy = OptionalDouble.of(loss);
                if (base > 0) {
                    relative = OptionalDouble.of(loss / base);
                }
            }
        }
        timer.stop("result+loss");
        return new PruneResult(name(), pattern, result, mask, proxy, relative, diagonal, timer.wall(), timer.cpu());
    }

    private void checkStats(LayerStats stats, int k) {
        if (stats == null) {
            if (needs() != Needs.NOTHING) {
                throw new IllegalArgumentException(name() + " needs calibration statistics ("
                        + (needs() == Needs.GRAM ? "LayerStats.full" : "LayerStats.diagonalOnly or full") + "), got null");
            }
            return;
        }
        if (stats.k() != k) {
            throw new IllegalArgumentException(name() + ": statistics of layer '" + stats.name() + "' have K=" + stats.k()
                    + " inputs but the weights have " + k + " columns");
        }
        if (needs() == Needs.GRAM && !stats.hasGram()) {
            throw new IllegalArgumentException(name() + " needs the full Gram matrix but layer '" + stats.name()
                    + "' was collected with LayerStats.diagonalOnly");
        }
        if (stats.tokens() == 0 && needs() != Needs.NOTHING) {
            throw new IllegalArgumentException(name() + ": statistics of layer '" + stats.name() + "' saw no tokens");
        }
    }

    private double[] readFinite(Matrix weights) {
        float[] f = weights.toFloatArray();
        int k = weights.cols();
        double[] w = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            float v = f[i];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(name() + ": weight at row " + i / k + ", column " + i % k + " is " + v
                        + " (weights must be finite)");
            }
            w[i] = v;
        }
        return w;
    }

    /** See {@link InputNorms#sanitize}. */
    static double[] positiveNorms(double[] h) {
        return InputNorms.sanitize(h);
    }

    static int defaultThreads() {
        return Parallel.defaultThreadCount();
    }
}
