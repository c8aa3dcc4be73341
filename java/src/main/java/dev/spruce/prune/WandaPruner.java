package dev.spruce.prune;

import dev.spruce.calib.LayerStats;

/**
 * Wanda (Sun et al., ICLR 2024): score |W_ij| * ||X_j||, where ||X_j|| is the L2 norm of input
 * column j over the calibration tokens; compared within each output row (unstructured sparsity is
 * per row, as in the paper). Needs only the diagonal statistics.
 */
public final class WandaPruner extends ScorePruner {

    public WandaPruner() {
        super(SelectionScope.ROW, defaultThreads());
    }

    @Override
    public String name() {
        return "wanda";
    }

    @Override
    public Needs needs() {
        return Needs.DIAGONAL;
    }

    @Override
    double[] scores(double[] w, int m, int k, LayerStats stats) {
        double[] h = stats.diagonal();
        double[] norm = new double[k];
        for (int j = 0; j < k; j++) {
            norm[j] = Math.sqrt(h[j]);
        }
        double[] s = new double[w.length];
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < k; j++) {
                s[r * k + j] = Math.abs(w[r * k + j]) * norm[j];
            }
        }
        return s;
    }
}
