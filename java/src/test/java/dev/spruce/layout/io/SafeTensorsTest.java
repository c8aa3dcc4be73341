package dev.spruce.layout.io;

import dev.spruce.layout.Sparse24;
import dev.spruce.layout.Sparse24Fixtures;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeTensorsTest {
    @TempDir
    Path dir;

    /** A file image: 8-byte LE header length, the header, the data. */
    static byte[] image(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    Path file(byte[] bytes) throws IOException {
        Path p = Files.createTempFile(dir, "t", ".safetensors");
        Files.write(p, bytes);
        return p;
    }

    String rejected(byte[] bytes) throws IOException {
        Path p = file(bytes);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensorsReader.read(p));
        return e.getMessage();
    }

    @Test
    void writesAndReadsEveryDtypeWithMetadata() throws IOException {
        Path p = dir.resolve("all.safetensors");
        float[] f = {1.5f, -2, 3, 4, 5, 6};
        short[] s = {1, -2, 3};
        int[] i = {7, -8};
        byte[] u = {1, 2, 3, (byte) 255, 5};
        new SafeTensorsWriter()
                .metadata(Map.of("format", "pt", "note", "ünïcode \"quoted\""))
                .put("w.f32", TensorDType.F32, new long[] {2, 3}, f)
                .put("w.bf16", TensorDType.BF16, new long[] {3}, s)
                .put("w.f16", TensorDType.F16, new long[] {1, 3}, s)
                .put("idx.i16", TensorDType.I16, new long[] {3}, s)
                .put("idx.i32", TensorDType.I32, new long[] {2}, i)
                .put("bytes.u8", TensorDType.U8, new long[] {5}, u)
                .put("scalar", TensorDType.F32, new long[] {}, new float[] {9})
                .put("empty", TensorDType.F32, new long[] {0, 4}, new float[0])
                .write(p);
        byte[] raw = Files.readAllBytes(p);
        long headerLen = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLen) % 8, "data starts 8-byte aligned");
        try (SafeTensors st = SafeTensorsReader.read(p)) {
            assertEquals(List.of("w.f32", "w.bf16", "w.f16", "idx.i16", "idx.i32", "bytes.u8", "scalar", "empty"),
                    st.names());
            assertEquals("ünïcode \"quoted\"", st.metadata().get("note"));
            assertEquals("pt", st.metadata().get("format"));
            SafeTensors.Tensor t = st.tensor("w.f32");
            assertEquals(TensorDType.F32, t.dtype());
            assertArrayEquals(new long[] {2, 3}, t.shape());
            assertArrayEquals(f, t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
            assertArrayEquals(s, st.tensor("w.bf16").data().toArray(ValueLayout.JAVA_SHORT_UNALIGNED));
            assertArrayEquals(i, st.tensor("idx.i32").data().toArray(ValueLayout.JAVA_INT_UNALIGNED));
            assertArrayEquals(u, st.tensor("bytes.u8").data().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(1, st.tensor("scalar").elements());
            assertEquals(0, st.tensor("empty").elements());
            try (Matrix m = t.toMatrix()) {
                assertEquals(3, m.cols());
                assertEquals(-2f, m.get(0, 1));
            }
            assertThrows(IllegalArgumentException.class, () -> st.tensor("missing"));
        }
        // no temp files left behind
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void writerRejectsBadInput() {
        SafeTensorsWriter w = new SafeTensorsWriter().put("a", TensorDType.F32, new long[] {2}, new float[2]);
        assertThrows(IllegalArgumentException.class, () -> w.put("a", TensorDType.F32, new long[] {2}, new float[2]));
        assertThrows(IllegalArgumentException.class, () -> w.put("b", TensorDType.F32, new long[] {3}, new float[2]));
        assertThrows(IllegalArgumentException.class, () -> w.put("__metadata__", TensorDType.U8, new long[] {0},
                new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> w.put("c", TensorDType.F32, new long[] {-1}, new float[2]));
    }

    @Test
    void truncatedFilesAreRejected() throws IOException {
        assertTrue(rejected(new byte[5]).contains("truncated"));
        byte[] ok = image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]);
        assertTrue(rejected(Arrays.copyOf(ok, ok.length - 3)).contains("run past the data section"));
        assertTrue(rejected(Arrays.copyOf(ok, 20)).contains("truncated"));
        byte[] huge = ok.clone();
        huge[0] = (byte) 0xff;
        huge[1] = (byte) 0xff;
        assertTrue(rejected(huge).contains("truncated"));
        byte[] neg = ok.clone();
        neg[7] = (byte) 0x80;
        assertTrue(rejected(neg).contains("not plausible"));
    }

    @Test
    void malformedHeadersAreRejected() throws IOException {
        byte[] d8 = new byte[8];
        assertTrue(rejected(image("[1,2]   ", d8)).contains("'{'"));
        assertTrue(rejected(image("{\"a\":", d8)).contains("malformed JSON"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", d8)).contains("Duplicate"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", d8))
                .contains("unsupported safetensors dtype 'F33'"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", d8))
                .contains("unknown field 'x'"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", d8))
                .contains("negative"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", d8))
                .contains("integers"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", d8))
                .contains("2 entries"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", d8)).contains("needs dtype"));
        assertTrue(rejected(image("{\"__metadata__\":{\"k\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[0,8]}}", d8)).contains("must be a string"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", d8))
                .contains("malformed JSON"));
    }

    @Test
    void offsetsMustMatchAndCoverTheDataExactly() throws IOException {
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]))
                .contains("needs 12 bytes"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,4]}}", new byte[8]))
                .contains("reversed"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12])).contains("overlaps"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]))
                .contains("hole"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[8]))
                .contains("trailing"));
        assertTrue(rejected(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]))
                .contains("run past"));
    }

    @Test
    void sparse24RoundTripsBitForBit() throws IOException {
        SplittableRandom rnd = new SplittableRandom(21);
        for (DType dt : DType.values()) {
            for (int[] mk : new int[][] {{3, 20}, {64, 96}}) {
                Path p = dir.resolve("s-" + dt + "-" + mk[0] + ".safetensors");
                try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, mk[0], mk[1], dt)) {
                    s.save(p);
                    try (Sparse24 back = Sparse24.load(p)) {
                        assertEquals(s.rows(), back.rows());
                        assertEquals(s.cols(), back.cols());
                        assertEquals(dt, back.valueType());
                        assertEquals(-1, s.values().mismatch(back.values()));
                        assertEquals(-1, s.codes().mismatch(back.codes()));
                    }
                    try (SafeTensors st = SafeTensorsReader.read(p)) {
                        assertEquals("2:4", st.metadata().get("pattern"));
                        assertEquals(TensorDType.I16, st.tensor("codes").dtype());
                    }
                }
            }
        }
    }

    /** Writes a Sparse24-like file with the given metadata/tensors changed. */
    Path sparseFile(Map<String, String> meta, TensorDType valuesType, long[] valuesShape, short[] codes, long[] codesShape)
            throws IOException {
        Path p = Files.createTempFile(dir, "bad", ".safetensors");
        long n = 1;
        for (long d : valuesShape) {
            n *= d;
        }
        new SafeTensorsWriter().metadata(meta)
                .put("values", valuesType, valuesShape, MemorySegment.ofArray(new byte[(int) n * valuesType.bytes()]))
                .put("codes", TensorDType.I16, codesShape, codes)
                .write(p);
        return p;
    }

    static Map<String, String> meta(String rows, String cols, String dtype, String pattern) {
        return Map.of("spruce.layout", "sparse24", "pattern", pattern, "rows", rows, "cols", cols,
                "value_dtype", dtype, "code_order", "row-major-nibble");
    }

    String loadRejected(Path p) {
        return assertThrows(IllegalArgumentException.class, () -> Sparse24.load(p)).getMessage();
    }

    @Test
    void inconsistentSparse24FilesAreRejected() throws IOException {
        short[] good = {0x4444, 0x4444};
        long[] cs = {2, 1};
        Path ok = sparseFile(meta("2", "16", "F32", "2:4"), TensorDType.F32, new long[] {2, 8}, good, cs);
        try (Sparse24 s = Sparse24.load(ok)) {
            assertEquals(16, s.cols());
        }
        assertTrue(loadRejected(sparseFile(meta("2", "16", "F32", "1:4"), TensorDType.F32, new long[] {2, 8}, good, cs))
                .contains("pattern"));
        assertTrue(loadRejected(sparseFile(meta("2", "16", "BF16", "2:4"), TensorDType.F32, new long[] {2, 8}, good, cs))
                .contains("value_dtype"));
        assertTrue(loadRejected(sparseFile(meta("2", "32", "F32", "2:4"), TensorDType.F32, new long[] {2, 8}, good, cs))
                .contains("shape"));
        assertTrue(loadRejected(sparseFile(meta("x", "16", "F32", "2:4"), TensorDType.F32, new long[] {2, 8}, good, cs))
                .contains("positive integer"));
        assertTrue(loadRejected(sparseFile(meta("2", "16", "F32", "2:4"), TensorDType.F32, new long[] {2, 8},
                new short[] {0x4444, 0x4F44}, cs)).contains("illegal 2:4 code 0xf at row 1, group 2"));
        Path noFormat = Files.createTempFile(dir, "plain", ".safetensors");
        new SafeTensorsWriter().put("values", TensorDType.F32, new long[] {1}, new float[1]).write(noFormat);
        assertTrue(loadRejected(noFormat).contains("spruce.layout"));
    }
}
