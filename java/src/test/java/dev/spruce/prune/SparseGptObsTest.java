package dev.spruce.prune;

import dev.spruce.calib.LayerStats;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SparseGPT against optimal-brain-surgeon computed independently in float64: explicit Gauss-Jordan
 * inverses of the Hessian restricted to the columns not yet processed, no Cholesky, no blocking.
 */
class SparseGptObsTest {

    /** Inverse of the n x n matrix a (row-major) by Gauss-Jordan with partial pivoting. */
    static double[] inverse(double[] a, int n) {
        double[] m = a.clone();
        double[] inv = new double[n * n];
        for (int i = 0; i < n; i++) {
            inv[i * n + i] = 1;
        }
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(m[r * n + c]) > Math.abs(m[piv * n + c])) {
                    piv = r;
                }
            }
            for (int j = 0; j < n; j++) {
                double t = m[c * n + j]; m[c * n + j] = m[piv * n + j]; m[piv * n + j] = t;
                t = inv[c * n + j]; inv[c * n + j] = inv[piv * n + j]; inv[piv * n + j] = t;
            }
            double d = m[c * n + c];
            for (int j = 0; j < n; j++) {
                m[c * n + j] /= d;
                inv[c * n + j] /= d;
            }
            for (int r = 0; r < n; r++) {
                if (r != c) {
                    double f = m[r * n + c];
                    for (int j = 0; j < n; j++) {
                        m[r * n + j] -= f * m[c * n + j];
                        inv[r * n + j] -= f * inv[c * n + j];
                    }
                }
            }
        }
        return inv;
    }

    /** (H[F,F])^-1 for F = {from .. k-1}. */
    static double[] trailingInverse(double[] h, int k, int from) {
        int f = k - from;
        double[] sub = new double[f * f];
        for (int i = 0; i < f; i++) {
            for (int j = 0; j < f; j++) {
                sub[i * f + j] = h[(from + i) * k + from + j];
            }
        }
        return inverse(sub, f);
    }

    /** Damped Hessian as SparseGptPruner builds it: G + percdamp * mean(diag G) * I. */
    static double[] damped(double[] g, int k, double percdamp) {
        double mean = 0;
        for (int j = 0; j < k; j++) {
            mean += g[j * k + j];
        }
        mean /= k;
        double[] h = g.clone();
        for (int j = 0; j < k; j++) {
            h[j * k + j] += percdamp * mean;
        }
        return h;
    }

    /**
     * Sequential OBS for one row: at the start of each N:M group, saliency w_c^2 / [(H[F_c,F_c])^-1]_cc
     * for each column c of the group (F_c = columns >= c) on the current weights; then column by
     * column, a pruned weight is removed with the OBS compensation over F_j.
     */
    static double[] obsRow(double[] w, double[] h, int k, int n, int m) {
        double[] cur = w.clone();
        boolean[] keep = new boolean[k];
        for (int j = 0; j < k; j++) {
            if (j % m == 0) {
                double[] sal = new double[m];
                for (int c = 0; c < m; c++) {
                    double d = trailingInverse(h, k, j + c)[0];
                    sal[c] = cur[j + c] * cur[j + c] / d;
                }
                long bits = MaskSelector.selectGroup(sal, 0, n, m);
                for (int c = 0; c < m; c++) {
                    keep[j + c] = (bits >>> c & 1) != 0;
                }
            }
            if (!keep[j]) {
                double[] hinv = trailingInverse(h, k, j);
                int f = k - j;
                double scale = cur[j] / hinv[0];
                for (int c = 0; c < f; c++) {
                    cur[j + c] -= scale * hinv[c]; // row 0 of (H_F)^-1 is the direction for column j
                }
                cur[j] = 0; // exactly zero (the update above gives 0 up to rounding)
            }
        }
        return cur;
    }

    @Test
    void oneGroupMatchesExactObsAndTheClosedFormLeastSquares() {
        int k = 4;
        int n = 12;
        float[] x = Fixtures.correlated(n, k, 71);
        LayerStats s = Fixtures.full(x, n, k);
        double[] h = damped(s.gram(), k, 0.01);
        // Small weights first, big last: OBS prunes columns 0 and 1 before it reaches the kept ones, so
        // the sequential answer must equal the global least-squares optimum for that mask:
        // ŵ_S = w H[:, S] (H[S, S])^-1 with S = {2, 3}.
        float[] w = {0.05f, -0.08f, 1.5f, -2.0f};
        try (Matrix wm = Matrix.of(w, 1, k); PruneResult r = new SparseGptPruner().prune(wm, s, Pattern.TWO_FOUR)) {
            float[] out = r.weights().toFloatArray();
            assertArrayEquals(new boolean[]{false, false, true, true}, r.mask().toBooleanArray());
            double[] b = new double[2];
            for (int c = 0; c < 2; c++) {
                for (int j = 0; j < k; j++) {
                    b[c] += w[j] * h[j * k + 2 + c];
                }
            }
            double[] hss = {h[2 * k + 2], h[2 * k + 3], h[3 * k + 2], h[3 * k + 3]};
            double[] inv = inverse(hss, 2);
            double v2 = b[0] * inv[0] + b[1] * inv[2];
            double v3 = b[0] * inv[1] + b[1] * inv[3];
            assertEquals(0f, out[0]);
            assertEquals(0f, out[1]);
            assertEquals(v2, out[2], 1e-6 * Math.abs(v2));
            assertEquals(v3, out[3], 1e-6 * Math.abs(v3));
            // and the compensation really helped: better than plain masking
            double masked = Fixtures.directLoss(w, new float[]{0, 0, w[2], w[3]}, 1, k, x, n);
            assertTrue(r.proxyLoss().getAsDouble() < masked);
        }
    }

    @Test
    void matchesSequentialObsWithExplicitInversesAcrossGroupsAndBlocks() {
        int m = 5;
        int k = 16;
        int n = 40;
        float[] x = Fixtures.correlated(n, k, 81);
        LayerStats s = Fixtures.full(x, n, k);
        double[] h = damped(s.gram(), k, 0.01);
        float[] w = Fixtures.weights(m, k, 82);
        for (Pattern.NM pat : new Pattern.NM[]{Pattern.TWO_FOUR, Pattern.nm(1, 4), Pattern.nm(4, 8)}) {
            // block size 8 forces the lazy cross-block GEMM path as well as the in-block updates
            try (Matrix wm = Matrix.of(w, m, k); PruneResult r = new SparseGptPruner(0.01, 8, 2).prune(wm, s, pat)) {
                float[] out = r.weights().toFloatArray();
                for (int row = 0; row < m; row++) {
                    double[] wr = new double[k];
                    for (int j = 0; j < k; j++) {
                        wr[j] = w[row * k + j];
                    }
                    double[] expect = obsRow(wr, h, k, pat.n(), pat.m());
                    for (int j = 0; j < k; j++) {
                        assertEquals(expect[j] != 0, r.mask().kept(row, j), pat + " mask at (" + row + ", " + j + ")");
                        assertEquals(expect[j], out[row * k + j], 1e-5 * (1 + Math.abs(expect[j])),
                                pat + " value at (" + row + ", " + j + ")");
                    }
                }
            }
        }
    }

    @Test
    void threadCountAndBlockingDoNotChangeTheMaskAndBarelyTheValues() {
        int m = 37, k = 64, n = 150;
        float[] x = Fixtures.correlated(n, k, 91);
        LayerStats s = Fixtures.full(x, n, k);
        float[] w = Fixtures.weights(m, k, 92);
        try (Matrix wm = Matrix.of(w, m, k);
             PruneResult a = new SparseGptPruner(0.01, 128, 1).prune(wm, s, Pattern.TWO_FOUR);
             PruneResult b = new SparseGptPruner(0.01, 128, 2).prune(wm, s, Pattern.TWO_FOUR);
             PruneResult c = new SparseGptPruner(0.01, 16, 2).prune(wm, s, Pattern.TWO_FOUR)) {
            assertEquals(a.mask(), b.mask());
            assertArrayEquals(a.weights().toFloatArray(), b.weights().toFloatArray(), "threads must not change results");
            assertEquals(a.mask(), c.mask());
            float[] wa = a.weights().toFloatArray();
            float[] wc = c.weights().toFloatArray();
            for (int i = 0; i < wa.length; i++) {
                assertEquals(wa[i], wc[i], 1e-4f * (1 + Math.abs(wa[i])), "lazy blocking is exact up to rounding");
            }
        }
    }

    @Test
    void deadInputsAreZeroedAndDoNotBreakTheFactorization() {
        int m = 6, k = 16, n = 40;
        float[] x = Fixtures.correlated(n, k, 101);
        for (int t = 0; t < n; t++) {
            x[t * k + 3] = 0; // input 3 never fires
            x[t * k + 10] = 0;
        }
        LayerStats s = Fixtures.full(x, n, k);
        float[] w = Fixtures.weights(m, k, 102);
        for (Pattern pat : new Pattern[]{Pattern.TWO_FOUR, Pattern.unstructured(0.5)}) {
            try (Matrix wm = Matrix.of(w, m, k); PruneResult r = new SparseGptPruner().prune(wm, s, pat)) {
                float[] out = r.weights().toFloatArray();
                for (int row = 0; row < m; row++) {
                    assertEquals(0f, out[row * k + 3]);
                    assertEquals(0f, out[row * k + 10]);
                }
                for (float v : out) {
                    assertTrue(Float.isFinite(v));
                }
                assertTrue(r.mask().satisfies(pat));
                assertEquals(Fixtures.directLoss(w, out, m, k, x, n), r.proxyLoss().getAsDouble(),
                        1e-9 * r.proxyLoss().getAsDouble());
            }
        }
    }

    @Test
    void rankDeficientHessianWithoutDampingIsRetriedWithDamping() {
        int m = 3, k = 8;
        // two tokens only: G has rank 2, singular without damping
        float[] x = Fixtures.correlated(2, k, 111);
        LayerStats s = Fixtures.full(x, 2, k);
        try (Matrix wm = Matrix.of(Fixtures.weights(m, k, 112), m, k);
             PruneResult r = new SparseGptPruner(0.0, 8, 1).prune(wm, s, Pattern.TWO_FOUR)) {
            assertTrue(r.mask().satisfies(Pattern.TWO_FOUR));
            for (float v : r.weights().toFloatArray()) {
                assertTrue(Float.isFinite(v));
            }
        }
    }
}
