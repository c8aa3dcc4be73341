package dev.spruce.layout;

import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockDiagonalTest {

    @Test
    void storesBlocksRowMajorAndExpandsExactly() {
        int n = 12;
        int bs = 4;
        float[] a = new float[n * bs];
        for (int i = 0; i < a.length; i++) {
            a[i] = i + 0.5f;
        }
        try (BlockDiagonal d = BlockDiagonal.of(n, bs, a); Matrix full = d.toDense()) {
            assertEquals(n, d.n());
            assertEquals(bs, d.blockSize());
            assertEquals(3, d.blocks());
            assertEquals(4L * n * bs, d.byteSize());
            assertArrayEquals(a, d.toArray());
            // block 2, row 1, column 3 sits at element 2*16 + 1*4 + 3 and at matrix (9, 11)
            assertEquals(a[2 * 16 + 4 + 3], d.get(2, 1, 3));
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    float want = r / bs == c / bs ? a[(r / bs) * bs * bs + (r % bs) * bs + c % bs] : 0f;
                    assertEquals(want, full.get(r, c), "(" + r + ", " + c + ")");
                }
            }
        }
    }

    @Test
    void transposedSegmentHoldsEachBlockColumnMajor() {
        try (BlockDiagonal d = ArmorFixtures.randomBlocks(new SplittableRandom(9), 12, 4)) {
            java.lang.foreign.MemorySegment t = d.transposedSegment();
            assertEquals(d.byteSize(), t.byteSize());
            for (int b = 0; b < 3; b++) {
                for (int r = 0; r < 4; r++) {
                    for (int c = 0; c < 4; c++) {
                        assertEquals(d.get(b, r, c), t.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, b * 16 + c * 4 + r));
                    }
                }
            }
            assertEquals(t.address(), d.transposedSegment().address(), "made once");
        }
    }

    @Test
    void identityIsTheIdentity() {
        try (BlockDiagonal d = BlockDiagonal.identity(32, 8); Matrix full = d.toDense()) {
            for (int r = 0; r < 32; r++) {
                for (int c = 0; c < 32; c++) {
                    assertEquals(r == c ? 1f : 0f, full.get(r, c));
                }
            }
        }
    }

    @Test
    void rejectsBadInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BlockDiagonal.of(10, 4, new float[40]));
        assertTrue(e.getMessage().contains("multiple"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BlockDiagonal.of(8, 4, new float[31]));
        assertTrue(e.getMessage().contains("32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BlockDiagonal.of(0, 4, new float[0]));
        assertThrows(IllegalArgumentException.class, () -> BlockDiagonal.of(8, 4, null));
        float[] a = new float[32];
        a[16 + 2 * 4 + 1] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> BlockDiagonal.of(8, 4, a));
        assertTrue(e.getMessage().contains("block 1, row 2, column 1"), e.getMessage());
        a[16 + 2 * 4 + 1] = Float.NEGATIVE_INFINITY;
        assertThrows(IllegalArgumentException.class, () -> BlockDiagonal.of(8, 4, a));
    }

    @Test
    void closedRefusesAccess() {
        BlockDiagonal d = ArmorFixtures.randomBlocks(new SplittableRandom(1), 8, 4);
        d.close();
        d.close();
        assertThrows(IllegalStateException.class, () -> d.get(0, 0, 0));
        assertThrows(IllegalStateException.class, d::toArray);
    }
}
