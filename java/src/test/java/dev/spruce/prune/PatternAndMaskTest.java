package dev.spruce.prune;

import dev.spruce.calib.LayerStats;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PatternAndMaskTest {

    @Test
    void patternsAreValidated() {
        assertEquals(0.5, Pattern.TWO_FOUR.sparsity());
        assertEquals(0.75, Pattern.nm(1, 4).sparsity());
        assertEquals(0.75, Pattern.nm(2, 8).sparsity());
        assertEquals(0.5, Pattern.nm(4, 8).sparsity());
        assertThrows(IllegalArgumentException.class, () -> Pattern.nm(0, 4));
        assertThrows(IllegalArgumentException.class, () -> Pattern.nm(4, 4));
        assertThrows(IllegalArgumentException.class, () -> Pattern.nm(5, 4));
        assertThrows(IllegalArgumentException.class, () -> Pattern.nm(1, 1));
        assertThrows(IllegalArgumentException.class, () -> Pattern.nm(2, 65));
        assertThrows(IllegalArgumentException.class, () -> Pattern.unstructured(1.0));
        assertThrows(IllegalArgumentException.class, () -> Pattern.unstructured(-0.1));
        assertThrows(IllegalArgumentException.class, () -> Pattern.unstructured(Double.NaN));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pattern.TWO_FOUR.checkShape(8, 10));
        assertTrue(e.getMessage().contains("K=10") && e.getMessage().contains("multiple of 4"), e.getMessage());
    }

    @Test
    void kNotMultipleOfGroupIsRejectedByEveryPruner() {
        try (Matrix w = Matrix.of(Fixtures.weights(4, 10, 1), 4, 10)) {
            LayerStats s = LayerStats.full("l", 10);
            s.accumulate(Fixtures.correlated(20, 10, 2), 20);
            for (Pruner p : PrunerContractTest.all()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> p.prune(w, s, Pattern.nm(2, 8)));
                assertTrue(e.getMessage().contains("multiple of 8"), p.name() + ": " + e.getMessage());
            }
        }
    }

    @Test
    void groupSelectionTieBreakKeepsLowerIndices() {
        // all equal: the first N win
        assertEquals(0b0011, MaskSelector.selectGroup(new double[]{1, 1, 1, 1}, 0, 2, 4));
        // all zero (an all-zero group of weights): still exactly N kept, the first ones
        assertEquals(0b0011, MaskSelector.selectGroup(new double[]{0, 0, 0, 0}, 0, 2, 4));
        assertEquals(0b0001, MaskSelector.selectGroup(new double[]{0, 0, 0, 0}, 0, 1, 4));
        // a tie for second place: the lower of the tied pair is kept
        assertEquals(0b0101, MaskSelector.selectGroup(new double[]{5, 1, 3, 3}, 0, 2, 4));
        assertEquals(0b0011, MaskSelector.selectGroup(new double[]{5, 3, 3, 1}, 0, 2, 4));
        assertEquals(0b1000, MaskSelector.selectGroup(new double[]{2, 2, 2, 7}, 0, 1, 4));
        // denormals are ordered exactly
        double tiny = Double.MIN_VALUE;
        assertEquals(0b1010, MaskSelector.selectGroup(new double[]{tiny, 3 * tiny, 0, 2 * tiny}, 0, 2, 4));
        assertEquals(0b11110000, MaskSelector.selectGroup(new double[]{1, 2, 3, 4, 5, 6, 7, 8}, 0, 4, 8));
    }

    @Test
    void pruneLowestPrunesExactlyCountAndHigherIndexTiesFirst() {
        double[] s = {3, 1, 2, 1, 1, 5};
        boolean[] keep = new boolean[6];
        MaskSelector.pruneLowest(s, 0, 6, 2, keep);
        assertArrayEquals(new boolean[]{true, true, true, false, false, true}, keep);
        MaskSelector.pruneLowest(s, 0, 6, 4, keep);
        assertArrayEquals(new boolean[]{true, false, false, false, false, true}, keep);
        MaskSelector.pruneLowest(s, 0, 6, 0, keep);
        assertArrayEquals(new boolean[]{true, true, true, true, true, true}, keep);
        java.util.Random rnd = new java.util.Random(3);
        for (int rep = 0; rep < 50; rep++) {
            int n = 1 + rnd.nextInt(200);
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = rnd.nextInt(5); // many ties
            }
            int count = rnd.nextInt(n + 1);
            boolean[] kp = new boolean[n];
            MaskSelector.pruneLowest(v, 0, n, count, kp);
            int pruned = 0;
            for (int i = 0; i < n; i++) {
                pruned += kp[i] ? 0 : 1;
            }
            assertEquals(count, pruned);
            // every kept entry beats every pruned one under (score, lower index) order
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if (kp[i] && !kp[j]) {
                        assertTrue(v[i] > v[j] || (v[i] == v[j] && i < j), "kept " + i + " vs pruned " + j);
                    }
                }
            }
            double[] sorted = v.clone();
            java.util.Arrays.sort(sorted);
            if (n > 0) {
                int r = rnd.nextInt(n);
                assertEquals(sorted[r], MaskSelector.select(v.clone(), r));
            }
        }
    }

    @Test
    void maskCountsAndPatternCheck() {
        PruneMask m = new PruneMask(2, 8);
        for (int r = 0; r < 2; r++) {
            m.set(r, 0, true);
            m.set(r, 3, true);
            m.set(r, 5, true);
            m.set(r, 6, true);
        }
        assertTrue(m.satisfies(Pattern.TWO_FOUR));
        assertTrue(m.satisfies(Pattern.nm(4, 8)));
        assertFalse(m.satisfies(Pattern.nm(1, 4)));
        assertEquals(8, m.keptCount());
        assertEquals(0.5, m.sparsity());
        m.set(1, 1, true);
        assertFalse(m.satisfies(Pattern.TWO_FOUR));
        // 7 of 16 pruned: fine for a 50% target (rounding down per scope keeps a few extra), too many for 40%
        assertTrue(m.satisfies(Pattern.unstructured(0.5)));
        assertFalse(m.satisfies(Pattern.unstructured(0.4)));
    }
}
