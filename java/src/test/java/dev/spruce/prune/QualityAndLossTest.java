package dev.spruce.prune;

import dev.spruce.calib.LayerStats;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Losses against a direct float64 computation from X, and the ordering of the criteria on correlated inputs. */
class QualityAndLossTest {
    static final int M = 24, K = 64, N = 256;

    @Test
    void lossBookkeepingMatchesDirectComputationFromActivations() {
        float[] w = Fixtures.weights(M, K, 21);
        float[] x = Fixtures.correlated(N, K, 22);
        LayerStats s = Fixtures.full(x, N, K);
        double base = Fixtures.directLoss(w, null, M, K, x, N);
        for (Pruner p : PrunerContractTest.all()) {
            for (Pattern pat : new Pattern[]{Pattern.TWO_FOUR, Pattern.unstructured(0.6)}) {
                try (Matrix wm = Matrix.of(w, M, K); PruneResult r = p.prune(wm, s, pat)) {
                    float[] what = r.weights().toFloatArray();
                    double direct = Fixtures.directLoss(w, what, M, K, x, N);
                    assertEquals(direct, r.proxyLoss().getAsDouble(), 1e-9 * direct, p.name() + " " + pat);
                    assertEquals(direct / base, r.relativeLoss().getAsDouble(), 1e-9, p.name() + " " + pat);
                    double diag = 0;
                    for (int i = 0; i < M; i++) {
                        for (int j = 0; j < K; j++) {
                            double d = (double) w[i * K + j] - what[i * K + j];
                            double h = 0;
                            for (int t = 0; t < N; t++) {
                                h += (double) x[t * K + j] * x[t * K + j];
                            }
                            diag += h * d * d;
                        }
                    }
                    assertEquals(diag, r.diagonalLoss().getAsDouble(), 1e-9 * diag, p.name() + " " + pat);
                }
            }
        }
    }

    @Test
    void sparseGptBeatsWandaAndMagnitudeOnCorrelatedActivations() {
        float[] w = Fixtures.weights(M, K, 31);
        float[] x = Fixtures.correlated(N, K, 32);
        LayerStats s = Fixtures.full(x, N, K);
        for (Pattern pat : new Pattern[]{Pattern.TWO_FOUR, Pattern.nm(4, 8), Pattern.nm(1, 4), Pattern.unstructured(0.5)}) {
            double sgpt = loss(new SparseGptPruner(), w, s, pat, x);
            double wanda = loss(new WandaPruner(), w, s, pat, x);
            double mag = loss(new MagnitudePruner(), w, s, pat, x);
            assertTrue(sgpt < wanda, pat + ": SparseGPT " + sgpt + " vs Wanda " + wanda);
            assertTrue(sgpt < mag, pat + ": SparseGPT " + sgpt + " vs magnitude " + mag);
            assertTrue(wanda < mag, pat + ": Wanda " + wanda + " vs magnitude " + mag);
        }
    }

    private static double loss(Pruner p, float[] w, LayerStats s, Pattern pat, float[] x) {
        try (Matrix wm = Matrix.of(w, M, K); PruneResult r = p.prune(wm, s, pat)) {
            return Fixtures.directLoss(w, r.weights().toFloatArray(), M, K, x, N);
        }
    }

    @Test
    void wandaEqualsMagnitudeWhenAllInputNormsAreEqual() {
        int m = 16, k = 64;
        float[] w = Fixtures.weights(m, k, 41);
        double[] h = new double[k];
        java.util.Arrays.fill(h, 7.25);
        LayerStats s = LayerStats.ofDiagonal("equal", h, 100);
        for (Pattern pat : new Pattern[]{Pattern.TWO_FOUR, Pattern.nm(1, 4), Pattern.nm(2, 8), Pattern.nm(4, 8),
                Pattern.unstructured(0.5), Pattern.unstructured(0.3)}) {
            try (Matrix wm = Matrix.of(w, m, k); PruneResult a = new WandaPruner().prune(wm, s, pat);
                 PruneResult b = new MagnitudePruner(SelectionScope.ROW).prune(wm, null, pat)) {
                assertEquals(b.mask(), a.mask(), pat.toString());
                assertArrayEquals(b.weights().toFloatArray(), a.weights().toFloatArray());
            }
        }
    }

    @Test
    void masksAreInvariantToTheScaleOfTheStatistics() {
        float[] w = Fixtures.weights(M, K, 51);
        float[] x = Fixtures.correlated(N, K, 52);
        LayerStats s = Fixtures.full(x, N, K);
        double[] g = s.gram();
        double[] g2 = g.clone();
        for (int i = 0; i < g2.length; i++) {
            g2[i] *= 1024.0; // a power of two: exact, so any difference would be the algorithm's
        }
        LayerStats scaled = LayerStats.ofGram("scaled", g2, K, N);
        for (Pruner p : PrunerContractTest.all()) {
            try (Matrix wm = Matrix.of(w, M, K); PruneResult a = p.prune(wm, s, Pattern.TWO_FOUR);
                 PruneResult b = p.prune(wm, scaled, Pattern.TWO_FOUR)) {
                assertEquals(a.mask(), b.mask(), p.name());
                float[] wa = a.weights().toFloatArray();
                float[] wb = b.weights().toFloatArray();
                for (int i = 0; i < wa.length; i++) {
                    assertEquals(wa[i], wb[i], 1e-5f * (1 + Math.abs(wa[i])), p.name() + " value " + i);
                }
            }
        }
    }

    @Test
    void noWagMaskMinimisesItsOwnProxyLoss() {
        float[] w = Fixtures.weights(M, K, 61);
        double[] h = new double[K];
        for (int j = 0; j < K; j++) {
            h[j] = 0.1 + j % 7;
        }
        LayerStats s = LayerStats.ofDiagonal("nowag", h, 10);
        try (Matrix wm = Matrix.of(w, M, K); PruneResult nowag = new NoWagPruner().prune(wm, s, Pattern.TWO_FOUR);
             PruneResult wanda = new WandaPruner().prune(wm, s, Pattern.TWO_FOUR);
             PruneResult mag = new MagnitudePruner().prune(wm, s, Pattern.TWO_FOUR)) {
            double ln = NoWagPruner.relativeLoss(w, M, K, h, nowag.mask());
            assertTrue(ln > 0 && ln < 1);
            assertTrue(ln <= NoWagPruner.relativeLoss(w, M, K, h, wanda.mask()));
            assertTrue(ln <= NoWagPruner.relativeLoss(w, M, K, h, mag.mask()));
        }
    }
}
