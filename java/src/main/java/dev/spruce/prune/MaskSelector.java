package dev.spruce.prune;

/**
 * Turns importance scores into a mask, with one deterministic tie rule everywhere:
 * <b>when two scores are equal, the weight with the lower index is kept</b> (inside an N:M group the
 * lower column; in an unstructured scope the lower row-major position, so earlier rows win over later
 * ones, and within a row the lower column). The references leave tie order to their sort routines;
 * fixing it makes masks reproducible across runs, thread counts and machines.
 */
final class MaskSelector {
    private MaskSelector() {
    }

    /**
     * Keeps, in the group of {@code m} scores at {@code s[off .. off+m)}, the {@code n} largest.
     * Returns the kept positions as bits (bit j = column off+j kept). Element j is kept iff fewer
     * than n elements beat it, where i beats j if s_i > s_j, or s_i == s_j and i < j.
     */
    static long selectGroup(double[] s, int off, int n, int m) {
        long keep = 0;
        for (int j = 0; j < m; j++) {
            double sj = s[off + j];
            int better = 0;
            for (int i = 0; i < m; i++) {
                double si = s[off + i];
                if (si > sj || (si == sj && i < j)) {
                    better++;
                }
            }
            if (better < n) {
                keep |= 1L << j;
            }
        }
        return keep;
    }

    /**
     * Marks as pruned the {@code count} lowest scores among {@code s[from .. to)} (writes false into
     * {@code keep} at those positions, true elsewhere in the range); ties at the threshold prune the
     * highest indices first. Linear time: one quickselect on a copy, then one pass.
     */
    static void pruneLowest(double[] s, int from, int to, long count, boolean[] keep) {
        int size = to - from;
        java.util.Arrays.fill(keep, from, to, true);
        if (count <= 0) {
            return;
        }
        if (count >= size) {
            java.util.Arrays.fill(keep, from, to, false);
            return;
        }
        double[] copy = java.util.Arrays.copyOfRange(s, from, to);
        double threshold = select(copy, (int) count - 1);
        long below = 0;
        for (int i = from; i < to; i++) {
            if (s[i] < threshold) {
                keep[i] = false;
                below++;
            }
        }
        long ties = count - below; // how many of the entries equal to the threshold must go, highest index first
        for (int i = to - 1; i >= from && ties > 0; i--) {
            if (s[i] == threshold) {
                keep[i] = false;
                ties--;
            }
        }
    }

    /** The value of rank r (0-based, ascending) in a; reorders a. Iterative quickselect, median-of-three pivot. */
    static double select(double[] a, int r) {
        int lo = 0;
        int hi = a.length - 1;
        while (hi > lo) {
            int mid = (lo + hi) >>> 1;
            double x = a[lo], y = a[mid], z = a[hi];
            double pivot = x < y ? (y < z ? y : Math.max(x, z)) : (x < z ? x : Math.max(y, z));
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    double t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (r <= j) {
                hi = j;
            } else if (r >= i) {
                lo = i;
            } else {
                return a[r];
            }
        }
        return a[r];
    }
}
