package dev.spruce.layout;

import dev.spruce.layout.io.SafeTensorsWriter;
import dev.spruce.layout.io.TensorDType;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.HalfFloats;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockSparseTest {

    private static void assertMessage(Throwable e, String part) {
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void fromDenseThenToDenseIsBitExact(DType dt) {
        SplittableRandom rnd = new SplittableRandom(3);
        int[][] cases = {{16, 16, 16, 16}, {64, 96, 32, 32}, {64, 128, 64, 32}, {96, 64, 32, 64}, {6, 15, 2, 5},
                {7, 3, 7, 1}, {1, 1, 1, 1}};
        for (int[] c : cases) {
            for (double density : new double[] {0, 0.3, 1}) {
                boolean[] keep = BlockSparseFixtures.randomKeep(rnd, (c[0] / c[2]) * (c[1] / c[3]), density);
                float[] a = BlockSparseFixtures.randomDense(rnd, c[0], c[1], c[2], c[3], keep);
                try (Matrix d = Matrix.of(a, c[0], c[1], dt); BlockSparse s = BlockSparse.fromDense(d, c[2], c[3], dt);
                     Matrix back = s.toDense()) {
                    assertEquals(dt, back.dtype());
                    assertEquals(-1, d.segment().mismatch(back.segment()), "bit-exact " + Arrays.toString(c));
                    assertArrayEquals(keep, s.keepMask(), "non-zero blocks are exactly the kept ones");
                    assertEquals(c[0], s.rows());
                    assertEquals(c[1], s.cols());
                    assertEquals(c[0] / c[2], s.blockRows());
                    assertEquals(c[1] / c[3], s.blockCols());
                }
            }
        }
    }

    @Test
    void layoutIsRowPointersSortedColumnsAndRowMajorBlocks() {
        // 4x6 with 2x3 blocks: grid 2x2. Keep (0,1) and (1,0), (1,1).
        float[] a = {
            0, 0, 0, 1, 2, 3,
            0, 0, 0, 4, 5, 6,
            7, 8, 9, 0, 0, 0,
            1, 2, 3, 0, 0, -1};
        try (Matrix d = Matrix.of(a, 4, 6); BlockSparse s = BlockSparse.fromDense(d, 2, 3, DType.F32)) {
            assertArrayEquals(new int[] {0, 1, 3}, s.rowPointers());
            assertArrayEquals(new int[] {1, 0, 1}, s.blockColumns());
            assertEquals(3, s.blockCount());
            assertEquals(0.75, s.density(), 0);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 0, 0, 0, 0, 0, -1},
                    s.values().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT));
            assertEquals(5f, s.value(0, 1, 1));
            assertEquals(3 * 6 * 4 + 3 * 4 + 4 * 3, s.byteSize());
        }
    }

    @Test
    void keepMaskStoresAllZeroBlocksAndIgnoresDroppedEntries() {
        float[] a = {1, 2, 3, 4};
        try (Matrix d = Matrix.of(a, 2, 2);
             BlockSparse s = BlockSparse.fromDense(d, 1, 1, new boolean[] {false, true, false, false}, DType.BF16);
             Matrix back = s.toDense()) {
            assertEquals(1, s.blockCount());
            assertArrayEquals(new float[] {0, 2, 0, 0}, back.toFloatArray());
        }
        try (Matrix z = Matrix.allocate(4, 4, DType.F32);
             BlockSparse s = BlockSparse.fromDense(z, 2, 2, new boolean[] {true, false, false, true}, DType.F32)) {
            assertEquals(2, s.blockCount(), "kept all-zero blocks are stored");
            assertArrayEquals(new int[] {0, 1, 2}, s.rowPointers());
        }
    }

    @Test
    void fromDenseRoundsToTheValueType() {
        float v = 1.0009765625f + 1e-7f;
        try (Matrix d = Matrix.of(new float[] {v, 0, 0, 0}, 2, 2); BlockSparse s = BlockSparse.fromDense(d, 2, 2, DType.BF16)) {
            assertEquals(HalfFloats.roundTo(DType.BF16, v), s.value(0, 0, 0));
        }
    }

    @Test
    void shapesNotAMultipleOfTheBlockAreRejectedWithThePadding() {
        try (Matrix d = Matrix.allocate(40, 64, DType.F32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BlockSparse.fromDense(d, 32, 32, DType.F32));
            assertMessage(e, "M=40");
            assertMessage(e, "24 zero row(s)");
        }
        try (Matrix d = Matrix.allocate(32, 48, DType.F32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BlockSparse.fromDense(d, 32, 32, DType.F32));
            assertMessage(e, "K=48");
            assertMessage(e, "16 zero column(s)");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromDense(d, 0, 16, DType.F32)),
                    "block size must be positive");
            assertMessage(assertThrows(IllegalArgumentException.class,
                    () -> BlockSparse.fromDense(d, 16, 16, new boolean[5], DType.F32)), "keep must have");
        }
    }

    @Test
    void nonFiniteValuesInKeptBlocksAreRejected() {
        float[] a = new float[16];
        a[2 * 4 + 3] = Float.NaN;
        try (Matrix d = Matrix.of(a, 4, 4)) {
            assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromDense(d, 2, 2, DType.F32)),
                    "row 2, column 3");
            // a NaN in a dropped block is ignored
            try (BlockSparse s = BlockSparse.fromDense(d, 2, 2, new boolean[] {true, false, false, false}, DType.F32)) {
                assertEquals(1, s.blockCount());
            }
        }
    }

    @Test
    void fromPartsValidatesEverything() {
        float[] one = new float[4];
        // good: 4x4, 2x2 blocks, block row 0 keeps column 1, block row 1 keeps columns 0 and 1
        float[] three = new float[12];
        try (BlockSparse s = BlockSparse.fromParts(4, 4, 2, 2, new int[] {0, 1, 3}, new int[] {1, 0, 1}, three, DType.F32)) {
            assertEquals(3, s.blockCount());
        }
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(4, 4, 2, 2,
                new int[] {0, 1}, new int[] {0}, one, DType.F32)), "rowPtr has");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(4, 4, 2, 2,
                new int[] {1, 1, 1}, new int[] {0}, one, DType.F32)), "rowPtr[0] must be 0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(4, 4, 2, 2,
                new int[] {0, 3, 1}, new int[] {0, 1, 1}, three, DType.F32)), "decreases at block row 1");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(4, 4, 2, 2,
                new int[] {0, 1, 2}, new int[] {0, 1, 1}, three, DType.F32)), "must equal the 3 stored blocks");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(4, 4, 2, 2,
                new int[] {0, 1, 4}, new int[] {0, 1, 1}, three, DType.F32)), "exceeds the 3 stored blocks");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(4, 4, 2, 2,
                new int[] {0, 1, 3}, new int[] {2, 0, 1}, three, DType.F32)), "column 2 outside [0, 2)");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(4, 4, 2, 2,
                new int[] {0, 1, 3}, new int[] {0, 1, 1}, three, DType.F32)), "strictly increasing");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(4, 4, 2, 2,
                new int[] {0, 0, 2}, new int[] {1, 0}, new float[8], DType.F32)), "strictly increasing");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(4, 4, 2, 2,
                new int[] {0, 0, 2}, new int[] {1, 1}, new float[8], DType.F32)), "strictly increasing");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(4, 4, 2, 2,
                new int[] {0, 1, 3}, new int[] {1, 0, 1}, new float[11], DType.F32)), "need 12 values");
        float[] nan = new float[12];
        nan[9] = Float.POSITIVE_INFINITY;
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(4, 4, 2, 2,
                new int[] {0, 1, 3}, new int[] {1, 0, 1}, nan, DType.F32)), "block 2 at (0, 1)");
        // raw bf16 NaN bits through the segment overload
        short[] bits = new short[4];
        bits[3] = (short) 0x7fc0;
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(2, 2, 2, 2, DType.BF16,
                MemorySegment.ofArray(new int[] {0, 1}), MemorySegment.ofArray(new int[] {0}),
                MemorySegment.ofArray(bits))), "non-finite value NaN in block 0 at (1, 1)");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromParts(2, 2, 2, 2, DType.BF16,
                MemorySegment.ofArray(new int[] {0, 1}), MemorySegment.ofArray(new int[] {0}),
                MemorySegment.ofArray(new short[3]))), "values have 6 bytes");
    }

    @Test
    void closedLayoutRefusesAccess() {
        BlockSparse s;
        try (Matrix d = Matrix.of(new float[] {1, 2, 3, 4}, 2, 2)) {
            s = BlockSparse.fromDense(d, 1, 1, DType.F32);
        }
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, s::toDense);
        assertThrows(IllegalStateException.class, s::values);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void saveLoadRoundTripsBitForBit(DType dt, @TempDir Path dir) throws IOException {
        SplittableRandom rnd = new SplittableRandom(9);
        for (double density : new double[] {0, 0.4, 1}) {
            Path f = dir.resolve("w-" + density + ".safetensors");
            try (BlockSparse s = BlockSparseFixtures.randomLayout(rnd, 64, 96, 16, 32, density, dt)) {
                s.save(f);
                try (BlockSparse t = BlockSparse.load(f)) {
                    assertEquals(s.rows(), t.rows());
                    assertEquals(s.cols(), t.cols());
                    assertEquals(16, t.blockHeight());
                    assertEquals(32, t.blockWidth());
                    assertEquals(dt, t.valueType());
                    assertArrayEquals(s.rowPointers(), t.rowPointers());
                    assertArrayEquals(s.blockColumns(), t.blockColumns());
                    assertEquals(-1, s.values().mismatch(t.values()));
                }
            }
        }
    }

    @Test
    void truncatedOrInconsistentFilesAreRejected(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("w.safetensors");
        try (BlockSparse s = BlockSparseFixtures.randomLayout(new SplittableRandom(2), 32, 64, 16, 16, 0.5, DType.F32)) {
            s.save(f);
        }
        byte[] bytes = Files.readAllBytes(f);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 10));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.load(cut)), "cut.safetensors");

        // A well-formed safetensors file whose row pointers contradict the block columns.
        Path bad = dir.resolve("bad.safetensors");
        new SafeTensorsWriter()
                .metadata(Map.of("spruce.layout", "block-sparse", "storage", "bsr", "rows", "4", "cols", "4",
                        "block_height", "2", "block_width", "2", "value_dtype", "F32"))
                .put("row_ptr", TensorDType.I32, new long[] {3}, new int[] {0, 2, 1})
                .put("col_idx", TensorDType.I32, new long[] {1}, new int[] {0})
                .put("values", TensorDType.F32, new long[] {1, 2, 2}, new float[4])
                .write(bad);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BlockSparse.load(bad));
        assertMessage(e, "bad.safetensors");
        assertMessage(e, "exceeds the 1 stored blocks");

        Path shape = dir.resolve("shape.safetensors");
        new SafeTensorsWriter()
                .metadata(Map.of("spruce.layout", "block-sparse", "storage", "bsr", "rows", "4", "cols", "4",
                        "block_height", "2", "block_width", "2", "value_dtype", "F32"))
                .put("row_ptr", TensorDType.I32, new long[] {3}, new int[] {0, 1, 1})
                .put("col_idx", TensorDType.I32, new long[] {1}, new int[] {0})
                .put("values", TensorDType.F32, new long[] {1, 4}, new float[4])
                .write(shape);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.load(shape)), "tensor 'values' has shape");

        Path wrongKind = dir.resolve("s24.safetensors");
        try (Matrix d = Matrix.allocate(4, 8, DType.F32); Sparse24 s = Sparse24.pack(d, DType.F32)) {
            s.save(wrongKind);
        }
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.load(wrongKind)), "expected 'block-sparse'");

        Path badDtype = dir.resolve("dt.safetensors");
        new SafeTensorsWriter()
                .metadata(Map.of("spruce.layout", "block-sparse", "storage", "bsr", "rows", "4", "cols", "4",
                        "block_height", "2", "block_width", "2", "value_dtype", "BF16"))
                .put("row_ptr", TensorDType.I32, new long[] {3}, new int[] {0, 1, 1})
                .put("col_idx", TensorDType.I32, new long[] {1}, new int[] {0})
                .put("values", TensorDType.F32, new long[] {1, 2, 2}, new float[4])
                .write(badDtype);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.load(badDtype)), "value_dtype is BF16");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void blockEllPadsEveryRowToTheLongestWithZeroBlocks(DType dt) {
        // grid 3x4 of 2x2 blocks: rows keep 2, 0 and 4 blocks
        boolean[] keep = {true, false, true, false, false, false, false, false, true, true, true, true};
        SplittableRandom rnd = new SplittableRandom(4);
        float[] a = BlockSparseFixtures.randomDense(rnd, 6, 8, 2, 2, keep);
        try (Matrix d = Matrix.of(a, 6, 8, dt); BlockSparse s = BlockSparse.fromDense(d, 2, 2, keep, dt);
             BlockEll e = s.toEll(); Matrix back = e.toDense()) {
            assertEquals(4, e.slotsPerRow());
            assertEquals(2, e.realBlocks(0));
            assertEquals(0, e.realBlocks(1));
            assertEquals(4, e.realBlocks(2));
            assertArrayEquals(new int[] {0, 2, 2, 2, 0, 0, 0, 0, 0, 1, 2, 3},
                    e.columnSegment().toArray(java.lang.foreign.ValueLayout.JAVA_INT));
            assertEquals(-1, d.segment().mismatch(back.segment()));
            assertEquals(1.0, e.ellDensity(), 0);
            // padding slots hold zeros
            MemorySegment v = e.values();
            for (long i = 2L * 4 * dt.bytes(); i < 8L * 4 * dt.bytes(); i++) {
                assertEquals(0, v.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i), "padding byte " + i);
            }
        }
    }

    @Test
    void multiLayerTensorsRoundTripUnderAPrefix(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("model.safetensors");
        SplittableRandom rnd = new SplittableRandom(21);
        try (BlockSparse a = BlockSparseFixtures.randomLayout(rnd, 64, 96, 32, 32, 0.5, DType.BF16);
             BlockSparse b = BlockSparseFixtures.randomLayout(rnd, 48, 32, 16, 16, 0.0, DType.F32)) {
            SafeTensorsWriter w = new SafeTensorsWriter();
            a.putTensors(w, "layer0.");
            b.putTensors(w, "layer1.");
            w.write(f);
            try (dev.spruce.layout.io.SafeTensors st = dev.spruce.layout.io.SafeTensorsReader.read(f);
                 BlockSparse a2 = BlockSparse.fromTensors(st, "layer0.");
                 BlockSparse b2 = BlockSparse.fromTensors(st, "layer1.")) {
                for (BlockSparse[] pair : new BlockSparse[][] {{a, a2}, {b, b2}}) {
                    assertEquals(pair[0].toString(), pair[1].toString());
                    assertArrayEquals(pair[0].rowPointers(), pair[1].rowPointers());
                    assertArrayEquals(pair[0].blockColumns(), pair[1].blockColumns());
                    assertEquals(-1, pair[0].values().mismatch(pair[1].values()));
                }
                assertMessage(assertThrows(IllegalArgumentException.class, () -> BlockSparse.fromTensors(st, "layer2.")),
                        "'layer2.row_ptr' is missing");
            }
        }
    }
}
