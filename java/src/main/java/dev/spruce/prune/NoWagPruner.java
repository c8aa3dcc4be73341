package dev.spruce.prune;

import dev.spruce.calib.LayerStats;

/**
 * NoWag-P (Liu et al., COLM 2025), the mask ARMOR starts from. W is normalised columns first, then
 * rows: c_j = ||W[:, j]|| + 1e-5, W1 = W / c (per column), r_i = ||W1[i, :]|| + 1e-5, W̄ = W1 / r (per row);
 * the score is W̄_ij<sup>2</sup> h_j with h_j the squared input norm. The kept values are the original
 * weights (no update). Unstructured sparsity is taken over the whole matrix (row normalisation makes
 * rows comparable), as in the NoWag code. Input norms that are zero (dead inputs) are replaced by the
 * mean of the others before scoring, as the reference sanitises h.
 *
 * <p>With the mask's values fixed to W̄, the NoWag proxy loss Σ h_j W̄_ij<sup>2</sup> (1 - M_ij) splits by
 * element, so this mask is its exact minimiser under the pattern.
 */
public final class NoWagPruner extends ScorePruner {
    /** Added to every norm, as in the reference ({@link NoWagNormalization#EPS}). */
    public static final double EPS = NoWagNormalization.EPS;

    public NoWagPruner() {
        super(SelectionScope.MATRIX, defaultThreads());
    }

    @Override
    public String name() {
        return "nowag-p";
    }

    @Override
    public Needs needs() {
        return Needs.DIAGONAL;
    }

    @Override
    double[] scores(double[] w, int m, int k, LayerStats stats) {
        double[] h = positiveNorms(stats.diagonal());
        double[] s = NoWagNormalization.of(w, m, k).normalized();
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < k; j++) {
                double v = s[r * k + j];
                s[r * k + j] = v * v * h[j];
            }
        }
        return s;
    }

    /**
     * The NoWag relative proxy loss of a mask: Σ h_j W̄_ij<sup>2</sup> (1 - M_ij) / Σ h_j W̄_ij<sup>2</sup> (ARMOR's L_0).
     */
    public static double relativeLoss(float[] weights, int m, int k, double[] squaredNorms, PruneMask mask) {
        double[] w = new double[weights.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = weights[i];
        }
        double[] s = new NoWagPruner().scores(w, m, k, LayerStats.ofDiagonal("nowag", squaredNorms, 1));
        double lost = 0;
        double total = 0;
        for (int i = 0; i < s.length; i++) {
            total += s[i];
            if (!mask.kept(i / k, i % k)) {
                lost += s[i];
            }
        }
        return total > 0 ? lost / total : 0.0;
    }
}
