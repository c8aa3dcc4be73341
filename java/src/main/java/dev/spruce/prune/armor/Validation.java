package dev.spruce.prune.armor;

import dev.spruce.calib.LayerStats;
import dev.spruce.tensor.Matrix;

/** Input checks for {@link ArmorFactorizer}, each failing with a message that names the problem. */
final class Validation {
    private Validation() {
    }

    /** The weights as float64, row-major; null, closed, oversized, non-2:4-able or non-finite weights are rejected. */
    static double[] readWeights(Matrix weights) {
        if (weights == null) {
            throw new IllegalArgumentException("ARMOR: weights must not be null");
        }
        weights.requireOpen();
        int m = weights.rows();
        int k = weights.cols();
        if ((long) m * k > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("ARMOR: " + weights.shapeString() + " weights exceed one Java array");
        }
        if (k % 4 != 0) {
            throw new IllegalArgumentException("ARMOR: in-features must be a multiple of 4 for a 2:4 core, got "
                    + weights.shapeString());
        }
        float[] f = weights.toFloatArray();
        double[] w = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            if (!Float.isFinite(f[i])) {
                throw new IllegalArgumentException("ARMOR: weight (" + i / k + ", " + i % k + ") is " + f[i]
                        + " (weights must be finite)");
            }
            w[i] = f[i];
        }
        return w;
    }

    static void checkStats(LayerStats stats, int k, ArmorConfig config) {
        if (stats == null) {
            throw new IllegalArgumentException("ARMOR needs calibration statistics (the input norms at least)");
        }
        if (stats.k() != k) {
            throw new IllegalArgumentException("ARMOR: statistics of '" + stats.name() + "' have " + stats.k()
                    + " input features, the weights " + k);
        }
        if (stats.tokens() == 0) {
            throw new IllegalArgumentException("ARMOR: statistics of '" + stats.name() + "' saw no tokens");
        }
        boolean needsGram = config.loss() == ArmorLoss.GRAM || config.start() == ArmorStart.SPARSEGPT;
        if (needsGram && !stats.hasGram()) {
            throw new IllegalArgumentException("ARMOR with " + config.loss().id() + " loss and " + config.start().id()
                    + " start needs the full Gram matrix, but the statistics of '" + stats.name()
                    + "' hold only its diagonal");
        }
        for (double v : stats.diagonal()) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("ARMOR: statistics of '" + stats.name() + "' contain " + v);
            }
        }
    }
}
