package dev.spruce.prune;

import dev.spruce.calib.LayerStats;

/**
 * Keeps the largest |W_ij|; needs no calibration data. Unstructured sparsity is taken over the whole
 * matrix by default (the classic per-layer magnitude baseline, as in the Wanda repository), or per
 * row with {@link SelectionScope#ROW}.
 */
public final class MagnitudePruner extends ScorePruner {

    public MagnitudePruner() {
        this(SelectionScope.MATRIX);
    }

    public MagnitudePruner(SelectionScope scope) {
        super(scope, defaultThreads());
    }

    @Override
    public String name() {
        return "magnitude";
    }

    @Override
    public Needs needs() {
        return Needs.NOTHING;
    }

    @Override
    double[] scores(double[] w, int m, int k, LayerStats stats) {
        double[] s = new double[w.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = Math.abs(w[i]);
        }
        return s;
    }
}
