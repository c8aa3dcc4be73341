package dev.spruce.prune;

import dev.spruce.calib.LayerStats;
import dev.spruce.tensor.Matrix;

/**
 * Prunes one linear layer's weights W (M x K, out x in, any dtype) to a {@link Pattern}, given the
 * calibration statistics of the layer's input. Scores and updates are computed in float64; the
 * result is float32. Every input is validated first (shape against the pattern and the statistics,
 * NaN or infinite weights named by row and column); the input matrix is never modified.
 */
public interface Pruner {

    /** Which statistics a pruner needs. */
    enum Needs {
        /** None: works from the weights alone. */
        NOTHING,
        /** The squared input norms (a diagonal-only {@link LayerStats} is enough). */
        DIAGONAL,
        /** The full Gram matrix X<sup>T</sup>X. */
        GRAM
    }

    /** Short name ("magnitude", "wanda", "nowag-p", "sparsegpt"). */
    String name();

    Needs needs();

    /** Prunes and computes the losses the statistics allow (see {@link PruneResult}). */
    default PruneResult prune(Matrix weights, LayerStats stats, Pattern pattern) {
        return prune(weights, stats, pattern, true);
    }

    /**
     * Prunes; with {@code computeLoss} false the Gram-based losses are skipped (they cost a dense
     * M x K x K product, as much as SparseGPT's own updates).
     */
    PruneResult prune(Matrix weights, LayerStats stats, Pattern pattern, boolean computeLoss);
}
