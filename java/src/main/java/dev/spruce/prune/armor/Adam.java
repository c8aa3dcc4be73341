package dev.spruce.prune.armor;

/**
 * Adam (Kingma and Ba) with PyTorch's defaults apart from the step size, bias-corrected, no weight decay: the
 * optimiser the ARMOR reference steps A, B and the core with, jointly, once per iteration. One instance keeps
 * the moments of one parameter array.
 */
final class Adam {
    static final double BETA1 = 0.9;
    static final double BETA2 = 0.999;
    /** Not negligible: ARMOR's gradients are O(1e-6) because the loss is relative; the reference keeps 1e-8. */
    static final double EPS = 1e-8;

    private final double[] m;
    private final double[] v;

    Adam(int size) {
        m = new double[size];
        v = new double[size];
    }

    /**
     * One step at iteration {@code t} (1-based) on p[i] for i in [from, to) where {@code active} is null or true.
     * Inactive entries (pruned core positions) neither move nor age their moments: their value is rewritten by
     * the discrete step when they come back, so their history does not matter.
     */
    void step(double[] p, double[] g, boolean[] active, int from, int to, double lr, int t) {
        double c1 = 1 - Math.pow(BETA1, t);
        double c2 = 1 - Math.pow(BETA2, t);
        double step = lr / c1;
        double rc2 = 1 / Math.sqrt(c2);
        for (int i = from; i < to; i++) {
            if (active != null && !active[i]) {
                continue;
            }
            double gi = g[i];
            double mi = BETA1 * m[i] + (1 - BETA1) * gi;
            double vi = BETA2 * v[i] + (1 - BETA2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] -= step * mi / (Math.sqrt(vi) * rc2 + EPS);
        }
    }
}
