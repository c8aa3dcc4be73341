package dev.spruce.prune;

import dev.spruce.calib.LayerStats;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockPrunerTest {

    @Test
    void blockPatternIsValidated() {
        Pattern.Block b = Pattern.block(32, 64, 0.3);
        assertEquals(0.3, b.sparsity());
        assertEquals(3, b.removedBlocks(10));
        assertEquals(0, Pattern.block(16, 16, 0.0).removedBlocks(7));
        assertEquals(2, Pattern.block(16, 16, 0.35).removedBlocks(7)); // floor(2.45)
        assertThrows(IllegalArgumentException.class, () -> Pattern.block(0, 16, 0.5));
        assertThrows(IllegalArgumentException.class, () -> Pattern.block(16, 512, 0.5));
        assertThrows(IllegalArgumentException.class, () -> Pattern.block(16, 16, 1.0));
        assertThrows(IllegalArgumentException.class, () -> Pattern.block(16, 16, Double.NaN));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.checkShape(48, 128));
        assertTrue(e.getMessage().contains("M=48") && e.getMessage().contains("multiple of 32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.checkShape(64, 96));
        assertTrue(e.getMessage().contains("K=96") && e.getMessage().contains("multiple of 64"), e.getMessage());
        b.checkShape(64, 128);
    }

    @Test
    void maskIsABlockMaskOfTheRightCount() {
        int[][] shapes = {{16, 16}, {32, 32}, {64, 64}, {32, 64}, {64, 32}};
        int m = 128;
        int k = 128;
        LayerStats s = Fixtures.full(Fixtures.correlated(200, k, 3), 200, k);
        try (Matrix w = Matrix.of(Fixtures.weights(m, k, 4), m, k)) {
            for (int[] shape : shapes) {
                Pattern.Block p = Pattern.block(shape[0], shape[1], 0.5);
                try (PruneResult r = new BlockPruner(false).prune(w, s, p)) {
                    assertTrue(r.mask().satisfies(p), p.toString());
                    boolean[] keep = BlockPruner.blockKeep(r);
                    int blocks = (m / shape[0]) * (k / shape[1]);
                    assertEquals(blocks, keep.length);
                    int kept = 0;
                    for (boolean b : keep) {
                        kept += b ? 1 : 0;
                    }
                    assertEquals(blocks - blocks / 2, kept, p.toString());
                    assertEquals(0.5, r.mask().sparsity(), 1e-12);
                    // without refit the kept values are W's own
                    float[] in = w.toFloatArray();
                    float[] out = r.weights().toFloatArray();
                    for (int i = 0; i < in.length; i++) {
                        assertEquals(r.mask().kept(i / k, i % k) ? in[i] : 0f, out[i]);
                    }
                }
            }
        }
        // a partly kept block is not a block mask
        PruneMask mask = new PruneMask(4, 4);
        mask.set(0, 0, true);
        assertFalse(mask.satisfies(Pattern.block(2, 2, 0.75)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mask.blockKeep(2, 2));
        assertTrue(e.getMessage().contains("partly kept"), e.getMessage());
    }

    @Test
    void masksAreNestedInTheSparsity() {
        int k = 64;
        LayerStats s = Fixtures.full(Fixtures.correlated(100, k, 5), 100, k);
        try (Matrix w = Matrix.of(Fixtures.weights(64, k, 6), 64, k)) {
            BlockLayer layer = BlockLayer.of(w, s, 16, 16, BlockLayer.DEFAULT_DAMP, 2);
            boolean[] prev = layer.keep(0.0);
            for (double p = 0.1; p < 1.0; p += 0.1) {
                boolean[] next = layer.keep(p);
                for (int i = 0; i < next.length; i++) {
                    assertTrue(!next[i] || prev[i], "block " + i + " came back at sparsity " + p);
                }
                prev = next;
            }
        }
    }

    @Test
    void scoreIsTheBlockMeanOfWeightTimesOutputEnergyGradient() {
        // 2 x 4 weights, 1 x 2 blocks, 3 tokens: gradient of ||W X||^2 / n is 2 W G / n
        float[] w = {1, -2, 0.5f, 3, -1, 0, 2, 1};
        float[] x = {1, 0, 2, -1, 0.5f, 1, -1, 0, 2, 1, 0, 1};
        int n = 3;
        int k = 4;
        LayerStats s = Fixtures.full(x, n, k);
        double[] g = new double[k * k];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    g[i * k + j] += (double) x[t * k + i] * x[t * k + j];
                }
            }
        }
        double[] expected = new double[4];
        for (int r = 0; r < 2; r++) {
            for (int j = 0; j < k; j++) {
                double grad = 0;
                for (int i = 0; i < k; i++) {
                    grad += 2.0 * w[r * k + i] * g[i * k + j] / n;
                }
                expected[r * 2 + j / 2] += Math.abs(w[r * k + j] * grad) / 2;
            }
        }
        try (Matrix wm = Matrix.of(w, 2, k)) {
            double[] got = BlockLayer.of(wm, s, 1, 2, 0, 1).scores();
            for (int i = 0; i < 4; i++) {
                assertEquals(expected[i], got[i], 1e-12 * (1 + Math.abs(expected[i])), "block " + i);
            }
        }
    }

    @Test
    void refitLowersTheLossOnCorrelatedData() {
        int m = 64;
        int k = 128;
        int n = 400;
        float[] x = Fixtures.correlated(n, k, 7);
        LayerStats s = Fixtures.full(x, n, k);
        float[] wf = Fixtures.weights(m, k, 8);
        try (Matrix w = Matrix.of(wf, m, k)) {
            Pattern.Block p = Pattern.block(16, 32, 0.5);
            try (PruneResult plain = new BlockPruner(false).prune(w, s, p);
                 PruneResult refit = new BlockPruner(true).prune(w, s, p)) {
                assertEquals(plain.mask(), refit.mask(), "refit must not change the mask");
                double lp = plain.proxyLoss().orElseThrow();
                double lr = refit.proxyLoss().orElseThrow();
                assertTrue(lr < 0.75 * lp, "refit " + lr + " vs masking " + lp);
                // the exact losses agree with the activations themselves
                double direct = Fixtures.directLoss(wf, refit.weights().toFloatArray(), m, k, x, n);
                assertEquals(direct, lr, 1e-6 * direct);
                // and with BlockLayer's closed form (float64 Ŵ, before rounding to float32)
                BlockLayer layer = BlockLayer.of(w, s, 16, 32, BlockLayer.DEFAULT_DAMP, 2);
                boolean[] keep = layer.keep(0.5);
                assertEquals(lr, layer.loss(keep, true), 1e-5 * lr);
                assertEquals(lp, layer.loss(keep, false), 1e-9 * lp);
                assertEquals(refit.relativeLoss().orElseThrow(), layer.relativeLoss(keep, true), 1e-5);
                // undamped least squares is the optimum for this mask; damping costs a little
                double exact = BlockLayer.of(w, s, 16, 32, 0.0, 2).loss(keep, true);
                assertTrue(exact <= lr * (1 + 1e-9), exact + " vs " + lr);
            }
        }
    }

    @Test
    void refitEqualsAnIndependentLeastSquaresSolution() {
        int m = 4;
        int k = 6;
        int n = 12;
        float[] x = Fixtures.correlated(n, k, 11);
        float[] wf = Fixtures.weights(m, k, 12);
        LayerStats s = Fixtures.full(x, n, k);
        for (double damp : new double[]{0.0, 0.05}) {
            try (Matrix w = Matrix.of(wf, m, k);
                 PruneResult r = new BlockPruner(true, damp, 1).prune(w, s, Pattern.block(2, 2, 0.5))) {
                boolean[] keep = BlockPruner.blockKeep(r);
                double meanDiag = 0;
                for (int j = 0; j < k; j++) {
                    meanDiag += s.gram(j, j);
                }
                double lambda = damp * meanDiag / k;
                float[] got = r.weights().toFloatArray();
                for (int row = 0; row < m; row++) {
                    int br = row / 2;
                    int[] cols = java.util.stream.IntStream.range(0, k).filter(j -> keep[br * 3 + j / 2]).toArray();
                    double[] want = ridge(x, n, k, wf, row, cols, lambda);
                    for (int j = 0, c = 0; j < k; j++) {
                        if (c < cols.length && cols[c] == j) {
                            assertEquals(want[c], got[row * k + j], 1e-4 * (1 + Math.abs(want[c])),
                                    "damp " + damp + " row " + row + " col " + j);
                            c++;
                        } else {
                            assertEquals(0f, got[row * k + j]);
                        }
                    }
                }
            }
        }
    }

    /** min_v ||X w_row - X_C v||² + λ||v||², straight from the tokens, by Gauss-Jordan with partial pivoting. */
    private static double[] ridge(float[] x, int n, int k, float[] w, int row, int[] cols, double lambda) {
        int c = cols.length;
        double[][] a = new double[c][c + 1];
        for (int t = 0; t < n; t++) {
            double y = 0;
            for (int j = 0; j < k; j++) {
                y += (double) w[row * k + j] * x[t * k + j];
            }
            for (int i = 0; i < c; i++) {
                double xi = x[t * k + cols[i]];
                for (int j = 0; j < c; j++) {
                    a[i][j] += xi * x[t * k + cols[j]];
                }
                a[i][c] += xi * y;
            }
        }
        for (int i = 0; i < c; i++) {
            a[i][i] += lambda;
        }
        for (int col = 0; col < c; col++) {
            int piv = col;
            for (int i = col + 1; i < c; i++) {
                if (Math.abs(a[i][col]) > Math.abs(a[piv][col])) {
                    piv = i;
                }
            }
            double[] t = a[col];
            a[col] = a[piv];
            a[piv] = t;
            for (int i = 0; i < c; i++) {
                if (i != col) {
                    double f = a[i][col] / a[col][col];
                    for (int j = col; j <= c; j++) {
                        a[i][j] -= f * a[col][j];
                    }
                }
            }
        }
        double[] v = new double[c];
        for (int i = 0; i < c; i++) {
            v[i] = a[i][c] / a[i][i];
        }
        return v;
    }

    @Test
    void errorsAreNamed() {
        LayerStats s = Fixtures.full(Fixtures.correlated(40, 32, 1), 40, 32);
        float[] wf = Fixtures.weights(32, 32, 2);
        wf[5 * 32 + 7] = Float.NaN;
        try (Matrix w = Matrix.of(wf, 32, 32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new BlockPruner().prune(w, s, Pattern.block(16, 16, 0.5)));
            assertTrue(e.getMessage().contains("row 5, column 7") && e.getMessage().contains("NaN"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> BlockLayer.of(w, s, 16, 16, 0.01, 1));
            assertTrue(e.getMessage().contains("row 5, column 7"), e.getMessage());
        }
        try (Matrix w = Matrix.of(Fixtures.weights(24, 32, 3), 24, 32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new BlockPruner().prune(w, s, Pattern.block(16, 16, 0.5)));
            assertTrue(e.getMessage().contains("M=24"), e.getMessage());
        }
        try (Matrix w = Matrix.of(Fixtures.weights(32, 32, 3), 32, 32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new BlockPruner().prune(w, s, Pattern.TWO_FOUR));
            assertTrue(e.getMessage().contains("Pattern.Block"), e.getMessage());
            LayerStats diag = LayerStats.diagonalOnly("d", 32);
            diag.accumulate(Fixtures.correlated(10, 32, 4), 10);
            e = assertThrows(IllegalArgumentException.class, () -> new BlockPruner().prune(w, diag, Pattern.block(16, 16, 0.5)));
            assertTrue(e.getMessage().contains("full Gram"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new BlockPruner(true, Double.NaN, 1));
            assertThrows(IllegalArgumentException.class, () -> new BlockPruner(true, -1, 1));
            // the weight-by-weight pruners refuse block patterns by name
            for (Pruner p : PrunerContractTest.all()) {
                e = assertThrows(IllegalArgumentException.class, () -> p.prune(w, s, Pattern.block(16, 16, 0.5)));
                assertTrue(e.getMessage().contains("BlockPruner"), p.name() + ": " + e.getMessage());
            }
        }
    }
}
