package dev.spruce.calib;

import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerStatsTest {

    static float[] activations(int n, int k, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * (1 + (i % k) % 5));
        }
        return x;
    }

    static double[] naiveGram(float[] x, int n, int k) {
        double[] g = new double[k * k];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    g[i * k + j] += (double) x[t * k + i] * x[t * k + j];
                }
            }
        }
        return g;
    }

    @Test
    void fullGramMatchesFloat64ReferenceAcrossChunksAndBatches() {
        int k = 131; // not a multiple of the tile or vector width
        int n = LayerStats.CHUNK + 45; // more than one chunk in the first batch
        float[] x = activations(n, k, 1);
        LayerStats s = LayerStats.full("q_proj", k, 2);
        float[] first = java.util.Arrays.copyOf(x, 300 * k);
        s.accumulate(first, 300);
        float[][] rest = new float[n - 300][];
        for (int r = 0; r < rest.length; r++) {
            rest[r] = java.util.Arrays.copyOfRange(x, (300 + r) * k, (301 + r) * k);
        }
        s.accumulate(rest);
        double[] expect = naiveGram(x, n, k);
        double[] g = s.gram();
        for (int i = 0; i < k * k; i++) {
            assertEquals(expect[i], g[i], 1e-11 * Math.abs(expect[i]) + 1e-9, "G entry " + i);
        }
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                assertEquals(g[i * k + j], g[j * k + i], 0.0, "G must be exactly symmetric");
                assertEquals(g[i * k + j], s.gram(i, j), 0.0);
            }
            assertEquals(g[i * k + i], s.diagonal()[i], 0.0);
        }
        assertEquals(n, s.tokens());
        assertEquals(2, s.batches());
    }

    @Test
    void matrixInputOfAnyDtypeAndDiagonalMode() {
        int k = 40, n = 33;
        float[] x = activations(n, k, 2);
        try (Matrix m = Matrix.of(x, n, k); Matrix b = Matrix.of(x, n, k, DType.BF16)) {
            LayerStats full = LayerStats.full("fc1", k);
            LayerStats diag = LayerStats.diagonalOnly("fc1", k);
            full.accumulate(m);
            diag.accumulate(m);
            assertFalse(diag.hasGram());
            double[] d = diag.diagonal();
            double[] fd = full.diagonal();
            for (int j = 0; j < k; j++) {
                double e = 0;
                for (int t = 0; t < n; t++) {
                    e += (double) x[t * k + j] * x[t * k + j];
                }
                assertEquals(e, d[j], 1e-12 * e);
                assertEquals(e, fd[j], 1e-12 * e);
            }
            assertThrows(IllegalStateException.class, diag::gram);
            LayerStats fromBf16 = LayerStats.full("fc1", k);
            fromBf16.accumulate(b);
            float[] rounded = b.toFloatArray();
            double[] expect = naiveGram(rounded, n, k);
            assertArrayEquals(expect, fromBf16.gram(), 1e-9);
        }
    }

    @Test
    void mergeEqualsOneBigBatch() {
        int k = 70;
        float[] x = activations(200, k, 3);
        LayerStats all = LayerStats.full("o", k);
        all.accumulate(x, 200);
        LayerStats a = LayerStats.full("o", k);
        LayerStats b = LayerStats.full("o", k);
        a.accumulate(java.util.Arrays.copyOf(x, 120 * k), 120);
        b.accumulate(java.util.Arrays.copyOfRange(x, 120 * k, 200 * k), 80);
        a.merge(b);
        assertEquals(200, a.tokens());
        assertArrayEquals(all.gram(), a.gram(), 1e-9);
        LayerStats d = LayerStats.diagonalOnly("o", k);
        d.merge(all);
        assertArrayEquals(all.diagonal(), d.diagonal(), 0.0);
        assertThrows(IllegalArgumentException.class, () -> all.merge(LayerStats.diagonalOnly("o", k)));
        assertThrows(IllegalArgumentException.class, () -> all.merge(LayerStats.full("x", k + 1)));
    }

    @Test
    void nonFiniteActivationsAreRejectedNamingLayerRowAndColumnAndNothingIsAdded() {
        int k = 8;
        float[] x = activations(5, k, 4);
        LayerStats s = LayerStats.full("layers.3.mlp.down_proj", k);
        s.accumulate(x, 5);
        double[] before = s.gram();
        x[3 * k + 6] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.accumulate(x, 5));
        assertTrue(e.getMessage().contains("layers.3.mlp.down_proj"), e.getMessage());
        assertTrue(e.getMessage().contains("row 3") && e.getMessage().contains("column 6"), e.getMessage());
        x[3 * k + 6] = Float.POSITIVE_INFINITY;
        assertThrows(IllegalArgumentException.class, () -> s.accumulate(x, 5));
        assertArrayEquals(before, s.gram(), 0.0);
        assertEquals(5, s.tokens());
        assertThrows(IllegalArgumentException.class, () -> s.accumulate(new float[3 * (k + 1)], 3));
        assertThrows(IllegalArgumentException.class,
                () -> LayerStats.ofDiagonal("d", new double[]{1, Double.NaN}, 1));
        assertThrows(IllegalArgumentException.class,
                () -> LayerStats.ofGram("g", new double[]{1, 2, 3, 4}, 2, 1));
    }

    @Test
    void concurrentAccumulationIsSafe() throws Exception {
        int k = 24;
        LayerStats s = LayerStats.full("v", k);
        float[] x = activations(50, k, 5);
        Thread[] ts = new Thread[4];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = new Thread(() -> {
                for (int rep = 0; rep < 5; rep++) {
                    s.accumulate(x, 50);
                }
            });
            ts[i].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        assertEquals(1000, s.tokens());
        double[] g1 = naiveGram(x, 50, k);
        double[] g = s.gram();
        for (int i = 0; i < g.length; i++) {
            assertEquals(20 * g1[i], g[i], 1e-9 * Math.abs(g1[i]) * 20 + 1e-9);
        }
    }
}
