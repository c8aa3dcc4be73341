package dev.spruce.prune.armor;

/**
 * The exact re-solve of one 2:4 group of the sparse core. With everything else fixed, the loss as a function of
 * the group's four values v is the quadratic const + 2 v·f + α vᵀ H v (f, H and α from {@link ArmorFactorizer}),
 * so for each of the six 2-of-4 supports P the best values are v<sub>P</sub> = −H<sub>PP</sub><sup>-1</sup> f<sub>P</sub> / α,
 * lowering the loss by f<sub>P</sub>ᵀ H<sub>PP</sub><sup>-1</sup> f<sub>P</sub> / α. The support with the largest
 * drop wins; since the group's current state lies on some support, the step never raises the loss.
 */
final class GroupSolver {
    /** The six supports (i0 < i1) of 2 kept out of 4. */
    static final int[][] SUPPORTS = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};

    private GroupSolver() {
    }

    /**
     * Writes the best four values (two of them zero) into {@code out} and returns the support index, or -1 when
     * the group has no influence on the loss (α or H zero), in which case {@code out} is untouched.
     *
     * @param h     4 x 4 symmetric, row-major
     * @param f     4
     * @param alpha the squared (row-weighted) norm of the row wrapper's column that multiplies this group
     */
    static int solve(double[] h, double[] f, double alpha, double[] out) {
        if (!(alpha > 0)) {
            return -1;
        }
        double scale = Math.max(Math.max(h[0], h[5]), Math.max(h[10], h[15]));
        if (!(scale > 0) || !Double.isFinite(scale)) {
            return -1;
        }
        // A relative ridge keeps the 2x2 solve defined when two of the group's B rows are parallel.
        double ridge = 1e-12 * scale;
        int best = -1;
        double bestDrop = -1;
        double bz0 = 0;
        double bz1 = 0;
        for (int s = 0; s < SUPPORTS.length; s++) {
            int u = SUPPORTS[s][0];
            int w = SUPPORTS[s][1];
            double huu = h[u * 4 + u] + ridge;
            double hww = h[w * 4 + w] + ridge;
            double huw = h[u * 4 + w];
            double det = huu * hww - huw * huw;
            if (!(det > 0)) {
                continue;
            }
            double z0 = (hww * f[u] - huw * f[w]) / det;
            double z1 = (huu * f[w] - huw * f[u]) / det;
            double drop = f[u] * z0 + f[w] * z1;
            if (drop > bestDrop) {
                bestDrop = drop;
                best = s;
                bz0 = z0;
                bz1 = z1;
            }
        }
        if (best < 0) {
            return -1;
        }
        java.util.Arrays.fill(out, 0, 4, 0.0);
        out[SUPPORTS[best][0]] = -bz0 / alpha;
        out[SUPPORTS[best][1]] = -bz1 / alpha;
        return best;
    }
}
