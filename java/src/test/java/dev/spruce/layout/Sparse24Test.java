package dev.spruce.layout;

import dev.spruce.tensor.DType;
import dev.spruce.tensor.HalfFloats;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Sparse24Test {

    @ParameterizedTest
    @EnumSource(DType.class)
    void packThenToDenseIsExact(DType dt) {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int[] mk : new int[][] {{1, 4}, {3, 12}, {7, 20}, {33, 64}, {5, 100}}) {
            float[] a = Sparse24Fixtures.random24(rnd, mk[0], mk[1]);
            try (Matrix d = Matrix.of(a, mk[0], mk[1], dt); Sparse24 s = Sparse24.pack(d, dt);
                 Matrix back = s.toDense()) {
                assertEquals(dt, back.dtype());
                assertArrayEquals(d.toFloatArray(), back.toFloatArray(), 0f);
                assertEquals(d.segment().mismatch(back.segment()), -1, "bit-exact");
            }
        }
    }

    @Test
    void packRoundsToTheValueType() {
        float[] a = {1.0009765625f + 1e-7f, 0, 0, 3.1f};
        try (Matrix d = Matrix.of(a, 1, 4); Sparse24 s = Sparse24.pack(d, DType.BF16)) {
            assertEquals(HalfFloats.roundTo(DType.BF16, a[0]), s.value(0, 0));
            assertEquals(HalfFloats.roundTo(DType.BF16, 3.1f), s.value(0, 1));
            assertEquals(0xC, s.code(0, 0));
        }
    }

    @Test
    void codesFollowTheCanonicalTableAndFillFreeSlotsWithZeros() {
        // groups: (0,2) (1,3) (2,3) (0,1) ; single at 0 -> (0,1); single at 2 -> (0,2); empty -> (0,1); (1,2)
        float[] a = {5, 0, 6, 0, 0, 7, 0, 8, 0, 0, 9, 1, 2, 3, 0, 0,
                     4, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 2, 3, 0};
        try (Matrix d = Matrix.of(a, 1, 32); Sparse24 s = Sparse24.pack(d, DType.F32)) {
            int[] want = {0x8, 0xD, 0xE, 0x4, 0x4, 0x8, 0x4, 0x9};
            for (int g = 0; g < 8; g++) {
                assertEquals(want[g], s.code(0, g), "group " + g);
                assertTrue(Sparse24.isLegalCode(s.code(0, g)));
            }
            assertEquals(0x4ED8, s.word(0, 0));
            // free slot of the single-non-zero group 5 (value at position 2) is position 0, value 0
            assertEquals(0f, s.value(0, 10));
            assertEquals(-1f, s.value(0, 11));
            assertEquals(0f, s.value(0, 12));
            assertEquals(0f, s.value(0, 13));
        }
    }

    @Test
    void tooManyNonZerosNamesRowAndGroup() {
        float[] a = new float[2 * 8];
        a[8 + 4] = 1;
        a[8 + 5] = 2;
        a[8 + 7] = 3;
        try (Matrix d = Matrix.of(a, 2, 8)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sparse24.pack(d, DType.F32));
            assertTrue(e.getMessage().contains("row 1, group 1"), e.getMessage());
            assertTrue(e.getMessage().contains("3 non-zeros"), e.getMessage());
        }
    }

    @Test
    void nonFiniteValuesAreRejected() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] a = new float[8];
            a[6] = bad;
            try (Matrix d = Matrix.of(a, 1, 8)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> Sparse24.pack(d, DType.F32));
                assertTrue(e.getMessage().contains("row 0, column 6"), e.getMessage());
            }
        }
    }

    @Test
    void kNotMultipleOfFourIsRejectedWithAHint() {
        try (Matrix d = Matrix.allocate(2, 6, DType.F32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sparse24.pack(d, DType.F32));
            assertTrue(e.getMessage().contains("multiple of 4") && e.getMessage().contains("pad"), e.getMessage());
        }
    }

    @Test
    void fromPartsValidatesEveryCode() {
        SplittableRandom rnd = new SplittableRandom(2);
        try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, 3, 24, DType.F32)) {
            short[] codes = s.codes().toArray(java.lang.foreign.ValueLayout.JAVA_SHORT);
            byte[] vals = s.values().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            try (Sparse24 same = Sparse24.fromParts(3, 24, DType.F32, MemorySegment.ofArray(vals),
                    MemorySegment.ofArray(codes))) {
                assertEquals(-1, same.values().mismatch(s.values()));
                assertEquals(-1, same.codes().mismatch(s.codes()));
            }
            for (int bad : new int[] {0x0, 0x5, 0xA, 0xF, 0x1, 0x6}) {
                short[] c = codes.clone();
                int wpr = Sparse24.wordsPerRow(24); // 2 words per row; row 2, group 5 = word 1, nibble 1
                c[2 * wpr + 1] = (short) ((c[2 * wpr + 1] & ~0xF0) | (bad << 4));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sparse24.fromParts(3,
                        24, DType.F32, MemorySegment.ofArray(vals), MemorySegment.ofArray(c)));
                assertTrue(e.getMessage().contains("row 2, group 5"), e.getMessage());
            }
            // K=24 uses 6 of the 8 nibbles of each row's second word; the spare ones must be zero.
            short[] c = codes.clone();
            c[1] = (short) (c[1] | 0x4000);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sparse24.fromParts(3, 24,
                    DType.F32, MemorySegment.ofArray(vals), MemorySegment.ofArray(c)));
            assertTrue(e.getMessage().contains("beyond K=24"), e.getMessage());
            // wrong sizes
            assertThrows(IllegalArgumentException.class, () -> Sparse24.fromParts(3, 24, DType.F32,
                    MemorySegment.ofArray(new byte[vals.length - 4]), MemorySegment.ofArray(codes)));
            assertThrows(IllegalArgumentException.class, () -> Sparse24.fromParts(3, 24, DType.BF16,
                    MemorySegment.ofArray(vals), MemorySegment.ofArray(codes)));
            // non-finite value
            float[] fv = s.values().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
            fv[7] = Float.NaN;
            e = assertThrows(IllegalArgumentException.class, () -> Sparse24.fromParts(3, 24, DType.F32,
                    MemorySegment.ofArray(fv), MemorySegment.ofArray(codes)));
            assertTrue(e.getMessage().contains("row 0, value slot 7"), e.getMessage());
        }
    }

    @Test
    void fromPartsWithMatrixValues() {
        float[] vals = {1, 2, 3, 4};
        try (Matrix v = Matrix.of(vals, 1, 4); Sparse24 s = Sparse24.fromParts(1, 8, v, new short[] {(short) 0xE4});
             Matrix d = s.toDense()) {
            assertArrayEquals(new float[] {1, 2, 0, 0, 0, 0, 3, 4}, d.toFloatArray());
        }
    }

    @Test
    void padToAddsZeroRowsAndColumns() {
        SplittableRandom rnd = new SplittableRandom(3);
        try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, 5, 12, DType.BF16); Sparse24 p = s.padTo(32, 32);
             Matrix d = s.toDense(); Matrix pd = p.toDense()) {
            assertEquals(32, p.rows());
            assertEquals(32, p.cols());
            for (int r = 0; r < 32; r++) {
                for (int c = 0; c < 32; c++) {
                    float want = r < 5 && c < 12 ? d.get(r, c) : 0f;
                    assertEquals(want, pd.get(r, c), "(" + r + "," + c + ")");
                }
                for (int g = 0; g < 8; g++) {
                    assertTrue(Sparse24.isLegalCode(p.code(r, g)));
                }
            }
        }
    }

    @Test
    void closedLayoutFailsClearly() {
        Sparse24 s = Sparse24Fixtures.randomLayout(new SplittableRandom(4), 2, 8, DType.F32);
        s.close();
        s.close();
        assertTrue(s.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, s::toDense);
        assertTrue(e.getMessage().contains("closed"));
        assertFalse(s.toString().isEmpty());
    }

    @Test
    void byteSizeCountsValuesAndCodes() {
        try (Sparse24 s = Sparse24Fixtures.randomLayout(new SplittableRandom(5), 4, 32, DType.F32)) {
            assertEquals(4 * 16 * 4 + 4 * 2 * 2, s.byteSize());
        }
    }
}
