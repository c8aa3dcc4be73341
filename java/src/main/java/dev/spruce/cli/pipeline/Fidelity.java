package dev.spruce.cli.pipeline;

import java.util.Arrays;

/**
 * End-to-end fidelity of pruned sentence embeddings against the dense ones, on the same sentences:
 * cosine per sentence (mean and worst), Spearman rank correlation of all pairwise similarities (does the
 * pruned model order sentence pairs as the dense one does?), and top-k neighbour overlap (does each
 * sentence keep its nearest neighbours?).
 */
public record Fidelity(int sentences, double meanCosine, double worstCosine, double spearman, double topKOverlap, int k) {

    public static final int TOP_K = 10;

    /** Compares two sets of L2-normalised embeddings (one row per sentence, same order). */
    public static Fidelity compare(float[][] dense, float[][] pruned) {
        int n = dense.length;
        if (n != pruned.length || n < 2) {
            throw new IllegalArgumentException("fidelity needs the same >= 2 sentences on both sides, got "
                    + n + " and " + pruned.length);
        }
        double sum = 0;
        double worst = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double c = cosine(dense[i], pruned[i]);
            sum += c;
            worst = Math.min(worst, c);
        }
        double[][] sd = similarities(dense);
        double[][] sp = similarities(pruned);
        int pairs = n * (n - 1) / 2;
        double[] a = new double[pairs];
        double[] b = new double[pairs];
        for (int i = 0, p = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++, p++) {
                a[p] = sd[i][j];
                b[p] = sp[i][j];
            }
        }
        int k = Math.min(TOP_K, n - 1);
        double overlap = 0;
        for (int i = 0; i < n; i++) {
            overlap += overlap(topK(sd[i], i, k), topK(sp[i], i, k)) / (double) k;
        }
        return new Fidelity(n, sum / n, worst, spearman(a, b), overlap / n, k);
    }

    static double cosine(float[] x, float[] y) {
        double dot = 0;
        double nx = 0;
        double ny = 0;
        for (int c = 0; c < x.length; c++) {
            dot += (double) x[c] * y[c];
            nx += (double) x[c] * x[c];
            ny += (double) y[c] * y[c];
        }
        return dot / Math.sqrt(nx * ny);
    }

    private static double[][] similarities(float[][] e) {
        int n = e.length;
        double[][] s = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                s[i][j] = s[j][i] = cosine(e[i], e[j]);
            }
        }
        return s;
    }

    /** Indices of the k largest entries of row, excluding {@code self}; ties broken by the lower index. */
    static int[] topK(double[] row, int self, int k) {
        Integer[] idx = new Integer[row.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (p, q) -> {
            int c = Double.compare(row[q], row[p]);
            return c != 0 ? c : Integer.compare(p, q);
        });
        int[] out = new int[k];
        for (int i = 0, o = 0; o < k; i++) {
            if (idx[i] != self) {
                out[o++] = idx[i];
            }
        }
        return out;
    }

    private static int overlap(int[] a, int[] b) {
        int n = 0;
        for (int x : a) {
            for (int y : b) {
                if (x == y) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }

    /** Spearman's rho: Pearson correlation of the ranks (ties get their mean rank). */
    static double spearman(double[] a, double[] b) {
        return pearson(ranks(a), ranks(b));
    }

    static double[] ranks(double[] v) {
        int n = v.length;
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (p, q) -> Double.compare(v[p], v[q]));
        double[] r = new double[n];
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && v[idx[j + 1]] == v[idx[i]]) {
                j++;
            }
            double mean = (i + j) / 2.0 + 1;
            for (int t = i; t <= j; t++) {
                r[idx[t]] = mean;
            }
            i = j + 1;
        }
        return r;
    }

    static double pearson(double[] a, double[] b) {
        int n = a.length;
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < n; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= n;
        mb /= n;
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < n; i++) {
            double x = a[i] - ma;
            double y = b[i] - mb;
            sab += x * y;
            saa += x * x;
            sbb += y * y;
        }
        return saa == 0 || sbb == 0 ? Double.NaN : sab / Math.sqrt(saa * sbb);
    }
}
