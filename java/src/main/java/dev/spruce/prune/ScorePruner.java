package dev.spruce.prune;

import dev.spruce.calib.LayerStats;


/**
 * Pruners that score every weight once and keep the best, with no weight update (magnitude, Wanda,
 * NoWag-P). N:M keeps the N best of each group; unstructured removes floor(sparsity x scope size)
 * lowest scores per {@link SelectionScope}. Ties follow {@link MaskSelector}: the lower index is kept.
 */
abstract class ScorePruner extends AbstractPruner {

    private final SelectionScope scope;

    ScorePruner(SelectionScope scope, int threads) {
        super(threads);
        if (scope == null) {
            throw new IllegalArgumentException("scope must not be null");
        }
        this.scope = scope;
    }

    public SelectionScope scope() {
        return scope;
    }

    /** Importance of every weight (m x k, row-major), larger = more important. Must be finite and >= 0. */
    abstract double[] scores(double[] w, int m, int k, LayerStats stats);

    @Override
    final void pruneInPlace(double[] w, int m, int k, LayerStats stats, Pattern pattern, boolean[] keep,
                            PhaseTimer timer) {
        timer.start();
        double[] s = scores(w, m, k, stats);
        timer.stop("score");
        timer.start();
        switch (pattern) {
            case Pattern.Block b -> throw new IllegalArgumentException(name() + " scores single weights and cannot select "
                    + b + "; use BlockPruner for block sparsity");
            case Pattern.NM nm -> {
                for (int r = 0; r < m; r++) {
                    for (int g = 0; g < k; g += nm.m()) {
                        long bits = MaskSelector.selectGroup(s, r * k + g, nm.n(), nm.m());
                        for (int j = 0; j < nm.m(); j++) {
                            keep[r * k + g + j] = (bits >>> j & 1L) != 0;
                        }
                    }
                }
            }
            case Pattern.Unstructured u -> {
                if (scope == SelectionScope.ROW) {
                    long count = (long) Math.floor(u.sparsity() * k);
                    for (int r = 0; r < m; r++) {
                        MaskSelector.pruneLowest(s, r * k, (r + 1) * k, count, keep);
                    }
                } else {
                    MaskSelector.pruneLowest(s, 0, m * k, (long) Math.floor(u.sparsity() * ((long) m * k)), keep);
                }
            }
        }
        for (int i = 0; i < w.length; i++) {
            if (!keep[i]) {
                w[i] = 0.0;
            }
        }
        timer.stop("select");
    }
}
