package dev.spruce.prune;

import dev.spruce.calib.LayerStats;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every pruner must do, on random and adversarial weights, for every pattern. */
class PrunerContractTest {

    static List<Pruner> all() {
        return List.of(new MagnitudePruner(), new WandaPruner(), new NoWagPruner(), new SparseGptPruner(0.01, 16, 2));
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        Pattern[] patterns = {Pattern.TWO_FOUR, Pattern.nm(1, 4), Pattern.nm(2, 8), Pattern.nm(4, 8),
                Pattern.unstructured(0.5), Pattern.unstructured(0.7)};
        for (Pruner p : all()) {
            for (Pattern pat : patterns) {
                out.add(Arguments.of(p, pat));
            }
        }
        return out.stream();
    }

    static LayerStats stats(int k) {
        return Fixtures.full(Fixtures.correlated(3 * k, k, 11), 3 * k, k);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void randomWeightsGiveAValidMaskWithZerosWherePruned(Pruner pruner, Pattern pattern) {
        int m = 13, k = 48;
        float[] w = Fixtures.weights(m, k, 5);
        LayerStats s = stats(k);
        try (Matrix wm = Matrix.of(w, m, k); PruneResult r = pruner.prune(wm, s, pattern)) {
            assertTrue(r.mask().satisfies(pattern), r.toString());
            if (pattern instanceof Pattern.Unstructured u) {
                // score pruners and SparseGPT's slabs each round their count down: within one row or slab of the target
                assertEquals(u.sparsity(), r.mask().sparsity(), 1.0 / k + 1e-9, r.toString());
            } else {
                assertEquals(pattern.sparsity(), r.mask().sparsity(), 1e-12);
            }
            float[] out = r.weights().toFloatArray();
            for (int i = 0; i < out.length; i++) {
                boolean kept = r.mask().kept(i / k, i % k);
                if (!kept) {
                    assertEquals(0.0f, out[i], "pruned weight must be exactly zero at " + i);
                } else if (!(pruner instanceof SparseGptPruner)) {
                    assertEquals(w[i], out[i], "score pruners keep the original value at " + i);
                }
                assertTrue(Float.isFinite(out[i]));
            }
            assertEquals(DType.F32, r.weights().dtype());
            assertTrue(r.proxyLoss().isPresent() && r.relativeLoss().isPresent() && r.diagonalLoss().isPresent());
            assertTrue(r.relativeLoss().getAsDouble() > 0 && r.relativeLoss().getAsDouble() < 1.5, r.toString());
            assertEquals(w[0], wm.get(0, 0), "the input matrix must not be modified");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void resultsAreDeterministic(Pruner pruner, Pattern pattern) {
        int m = 9, k = 32;
        float[] w = Fixtures.weights(m, k, 6);
        LayerStats s = stats(k);
        try (Matrix wm = Matrix.of(w, m, k); PruneResult a = pruner.prune(wm, s, pattern);
             PruneResult b = pruner.prune(wm, s, pattern)) {
            assertEquals(a.mask(), b.mask());
            assertArrayEquals(a.weights().toFloatArray(), b.weights().toFloatArray());
            assertEquals(a.proxyLoss().getAsDouble(), b.proxyLoss().getAsDouble(), 0.0);
        }
    }

    @Test
    void adversarialTiesAllZeroGroupsAndDenormals() {
        int k = 8;
        float tiny = Float.MIN_VALUE; // the smallest denormal
        float[] w = {
                1, 1, 1, 1, -1, -1, -1, -1,                 // ties everywhere
                0, 0, 0, 0, 0, 0, 0, 0,                     // all-zero groups
                tiny, 3 * tiny, 0, 2 * tiny, 0, 0, tiny, 0, // denormals
        };
        int m = 3;
        double[] identity = new double[k * k];
        for (int j = 0; j < k; j++) {
            identity[j * k + j] = 4.0; // equal, uncorrelated input norms: every criterion reduces to |w|
        }
        LayerStats s = LayerStats.ofGram("adversarial", identity, k, 4);
        for (Pruner p : all()) {
            try (Matrix wm = Matrix.of(w, m, k); PruneResult r = p.prune(wm, s, Pattern.TWO_FOUR)) {
                assertTrue(r.mask().satisfies(Pattern.TWO_FOUR), p.name());
                boolean[] keep = r.mask().toBooleanArray();
                boolean[] expect = {
                        true, true, false, false, true, true, false, false,
                        true, true, false, false, true, true, false, false,
                        false, true, false, true, true, false, true, false,
                };
                assertArrayEquals(expect, keep, p.name() + " mask");
                float[] out = r.weights().toFloatArray();
                for (int i = 0; i < out.length; i++) {
                    assertEquals(keep[i] ? w[i] : 0f, out[i], p.name() + " value " + i);
                }
            }
        }
    }

    @Test
    void nonFiniteWeightsAreRejectedNamingThePosition() {
        int m = 3, k = 8;
        LayerStats s = stats(k);
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] w = Fixtures.weights(m, k, 7);
            w[2 * k + 5] = bad;
            try (Matrix wm = Matrix.of(w, m, k)) {
                for (Pruner p : all()) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> p.prune(wm, s, Pattern.TWO_FOUR));
                    assertTrue(e.getMessage().contains("row 2, column 5"), p.name() + ": " + e.getMessage());
                }
            }
        }
    }

    @Test
    void missingOrMismatchedStatisticsAreRejected() {
        int m = 4, k = 8;
        try (Matrix wm = Matrix.of(Fixtures.weights(m, k, 8), m, k)) {
            assertThrows(IllegalArgumentException.class, () -> new WandaPruner().prune(wm, null, Pattern.TWO_FOUR));
            assertThrows(IllegalArgumentException.class, () -> new SparseGptPruner().prune(wm, null, Pattern.TWO_FOUR));
            LayerStats diag = LayerStats.ofDiagonal("d", new double[k], 10);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new SparseGptPruner().prune(wm, diag, Pattern.TWO_FOUR));
            assertTrue(e.getMessage().contains("Gram"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new WandaPruner().prune(wm, stats(12), Pattern.TWO_FOUR));
            assertThrows(IllegalArgumentException.class,
                    () -> new WandaPruner().prune(wm, LayerStats.diagonalOnly("empty", k), Pattern.TWO_FOUR));
            assertThrows(IllegalArgumentException.class, () -> new MagnitudePruner().prune(wm, null, null));
            // magnitude needs nothing; without statistics there are no losses
            try (PruneResult r = new MagnitudePruner().prune(wm, null, Pattern.TWO_FOUR)) {
                assertFalse(r.proxyLoss().isPresent());
                assertFalse(r.diagonalLoss().isPresent());
            }
            // diagonal statistics give the diagonal loss only
            try (PruneResult r = new WandaPruner().prune(wm, LayerStats.ofDiagonal("d", new double[]{1, 2, 3, 4, 5, 6, 7, 8}, 3),
                    Pattern.TWO_FOUR)) {
                assertFalse(r.proxyLoss().isPresent());
                assertTrue(r.diagonalLoss().isPresent());
            }
            // non-finite statistics never get in
            assertThrows(IllegalArgumentException.class,
                    () -> LayerStats.ofDiagonal("d", new double[]{1, 2, 3, 4, 5, 6, 7, Double.POSITIVE_INFINITY}, 3));
            double[] g = new double[k * k];
            g[9] = Double.NaN;
            assertThrows(IllegalArgumentException.class, () -> LayerStats.ofGram("g", g, k, 3));
        }
    }

    @Test
    void closedMatrixIsRejected() {
        Matrix wm = Matrix.of(Fixtures.weights(2, 4, 1), 2, 4);
        wm.close();
        assertThrows(IllegalStateException.class, () -> new MagnitudePruner().prune(wm, null, Pattern.TWO_FOUR));
    }

    @Test
    void bf16WeightsArePrunedFromTheirRoundedValues() {
        int m = 4, k = 16;
        float[] w = Fixtures.weights(m, k, 9);
        try (Matrix wm = Matrix.of(w, m, k, DType.BF16); PruneResult r = new MagnitudePruner().prune(wm, null, Pattern.TWO_FOUR)) {
            float[] rounded = wm.toFloatArray();
            float[] out = r.weights().toFloatArray();
            for (int i = 0; i < out.length; i++) {
                assertTrue(out[i] == 0f || out[i] == rounded[i]);
            }
            assertTrue(r.mask().satisfies(Pattern.TWO_FOUR));
        }
    }
}
