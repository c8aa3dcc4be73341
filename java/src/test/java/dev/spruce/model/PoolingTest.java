package dev.spruce.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolingTest {
    // Three sentences' worth of packed rows, hidden size 2: rows 0-1 belong to another sentence.
    private static final float[] H = {9, 9, 9, 9, 3, 4, 1, 0, 2, 0};

    @Test
    void clsTakesTheFirstRealTokenAndNormalises() {
        assertArrayEquals(new float[] {0.6f, 0.8f}, Pooling.CLS.embed(H, 2, 3, 2), 1e-7f);
    }

    @Test
    void meanAveragesOnlyTheSentencesRowsThenNormalises() {
        // mean of (3,4), (1,0), (2,0) = (2, 4/3); norm = sqrt(4 + 16/9) = sqrt(52)/3
        double n = Math.sqrt(52) / 3;
        assertArrayEquals(new float[] {(float) (2 / n), (float) (4 / 3.0 / n)}, Pooling.MEAN.embed(H, 2, 3, 2), 1e-6f);
    }

    @Test
    void zeroVectorStaysZeroAndEmptySentenceIsRejected() {
        assertArrayEquals(new float[] {0, 0}, Pooling.MEAN.embed(new float[] {0, 0}, 0, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> Pooling.CLS.embed(H, 0, 0, 2));
    }

    @Test
    void parsesNamesAndNamesTheBadOne() {
        assertEquals(Pooling.CLS, Pooling.parse("CLS"));
        assertEquals(Pooling.MEAN, Pooling.parse(" mean "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pooling.parse("max"));
        assertTrue(e.getMessage().contains("'max'") && e.getMessage().contains("mean or cls"), e.getMessage());
    }
}
