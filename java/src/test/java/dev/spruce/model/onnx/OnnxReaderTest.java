package dev.spruce.model.onnx;

import dev.spruce.model.BertOnnxImporter;
import dev.spruce.model.MiniLm;
import dev.spruce.model.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxReaderTest {

    @Test
    void readsHandWrittenModelWithRawAndTypedData() throws Exception {
        byte[] bytes = ProtoWriter.model(ProtoWriter.tensor("w", 2, 3, true), ProtoWriter.tensor("v", 3, 1, false));
        OnnxGraph g = OnnxReader.parse(ByteBuffer.wrap(bytes), "test");
        assertEquals(11, g.opset());
        assertEquals(1, g.nodes().size());
        assertEquals("MatMul", g.nodes().get(0).opType());
        assertEquals(java.util.List.of("x"), g.inputs());
        assertArrayEquals(new long[]{2, 3}, g.initializer("w").dims());
        assertArrayEquals(new float[]{-1, -0.5f, 0, 0.5f, 1, 1.5f}, g.initializer("w").floats());
        assertArrayEquals(new float[]{-1, -0.5f, 0}, g.initializer("v").floats());
        assertEquals("/foo/MatMul", g.consumers("w").get(0).name());
    }

    @Test
    void everyTruncationIsOneClearError() {
        byte[] bytes = ProtoWriter.model(ProtoWriter.tensor("w", 2, 3, true));
        for (int cut = 0; cut < bytes.length; cut++) {
            byte[] part = Arrays.copyOf(bytes, cut);
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> OnnxReader.parse(ByteBuffer.wrap(part), "cut.onnx"), "cut at " + cut);
            assertTrue(e.getMessage().startsWith("cut.onnx: "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void corruptBytesAreRejected() {
        byte[] bytes = ProtoWriter.model(ProtoWriter.tensor("w", 2, 3, true));
        java.util.Random rnd = new java.util.Random(7);
        int rejected = 0;
        for (int trial = 0; trial < 300; trial++) {
            byte[] bad = bytes.clone();
            bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
            try {
                OnnxReader.parse(ByteBuffer.wrap(bad), "bad.onnx");
            } catch (ModelFormatException e) {
                rejected++;   // the only exception allowed
            }
        }
        assertTrue(rejected > 0);
        // text is not a model
        assertThrows(ModelFormatException.class, () -> OnnxReader.parse(
                ByteBuffer.wrap("hello, this is not an onnx file at all".getBytes()), "text"));
        assertThrows(ModelFormatException.class, () -> OnnxReader.parse(ByteBuffer.allocate(0), "empty"));
    }

    @Test
    void narrowTypesInInt32DataAreNarrowedToTheirWidth() throws Exception {
        // ONNX keeps uint8/int8/int16/float16/bool values in int32_data, one varint per element (how int8-quantized
        // exports store their scalar zero points); the bytes must come out at the element width.
        ProtoWriter u8 = new ProtoWriter().varint(1, 3).varint(2, 2).string(8, "zp")
                .varint(5, 0).varint(5, 200).varint(5, 255);                 // unpacked
        ProtoWriter f16 = new ProtoWriter().varint(1, 2).varint(2, 10).string(8, "half")
                .bytes(5, new byte[] {(byte) 0x80, 0x78, (byte) 0x80, (byte) 0x80, 0x03}); // packed 0x3C00, 0xC000
        ProtoWriter i8 = new ProtoWriter().varint(1, 1).string(8, "neg").varint(5, -3).varint(2, 3); // type after data
        OnnxGraph g = OnnxReader.parse(ByteBuffer.wrap(ProtoWriter.model(u8, f16, i8)), "m");
        assertArrayEquals(new byte[] {0, (byte) 200, (byte) 255}, bytes(g.initializer("zp").rawData()));
        assertArrayEquals(new byte[] {0x00, 0x3C, 0x00, (byte) 0xC0}, bytes(g.initializer("half").rawData()));
        assertArrayEquals(new byte[] {-3}, bytes(g.initializer("neg").rawData()));
        // A float tensor cannot carry int32_data.
        ProtoWriter bad = new ProtoWriter().varint(1, 1).varint(2, 1).string(8, "f").varint(5, 7);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxReader.parse(ByteBuffer.wrap(ProtoWriter.model(bad)), "m"));
        assertTrue(e.getMessage().contains("'f'"), e.getMessage());
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    @Test
    void quantizedModelIsNamedAsSuch() throws Exception {
        ProtoWriter node = new ProtoWriter().string(1, "x").string(1, "w").string(2, "y")
                .string(3, "/encoder/layer.0/attention/self/query/MatMul_quant").string(4, "MatMulInteger");
        ProtoWriter graph = new ProtoWriter().message(1, node).string(2, "g")
                .message(5, ProtoWriter.tensor("w", 2, 3, true))
                .message(11, new ProtoWriter().string(1, "x")).message(12, new ProtoWriter().string(1, "y"));
        byte[] bytes = new ProtoWriter().varint(1, 8).message(8, new ProtoWriter().string(1, "").varint(2, 11))
                .message(7, graph).toBytes();
        OnnxGraph g = OnnxReader.parse(ByteBuffer.wrap(bytes), "q.onnx");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> BertOnnxImporter.load(g));
        assertTrue(e.getMessage().contains("quantized model") && e.getMessage().contains("MatMulInteger"), e.getMessage());
    }

    @Test
    void tensorWhoseDataDoesNotFitItsShapeIsRejected() {
        ProtoWriter t = new ProtoWriter().varint(1, 4).varint(1, 4).varint(2, 1).string(8, "short").bytes(9, new byte[12]);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxReader.parse(ByteBuffer.wrap(ProtoWriter.model(t)), "m"));
        assertTrue(e.getMessage().contains("'short'"), e.getMessage());
    }

    @Test
    void externalDataIsRejectedByName() {
        ProtoWriter t = new ProtoWriter().varint(1, 2).varint(2, 1).string(8, "big")
                .message(13, new ProtoWriter().string(1, "location").string(2, "weights.bin")).varint(14, 1);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxReader.parse(ByteBuffer.wrap(ProtoWriter.model(t)), "m"));
        assertTrue(e.getMessage().contains("external"), e.getMessage());
    }

    @Test
    void missingFileAndMissingResource(@TempDir Path dir) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.read(dir.resolve("nope.onnx")));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
        assertThrows(ModelFormatException.class, () -> OnnxReader.read((InputStream) null, "resource x"));
    }

    @Test
    void truncatedRealModelIsRejected(@TempDir Path dir) throws Exception {
        byte[] all;
        try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(MiniLm.ONNX_RESOURCE)) {
            all = in.readNBytes(3_000_000);
        }
        Path f = dir.resolve("cut.onnx");
        Files.write(f, all);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.read(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertThrows(ModelFormatException.class,
                () -> OnnxReader.read(new ByteArrayInputStream(Arrays.copyOf(all, 1000)), "head"));
    }

    @Test
    void aGraphThatIsNotBertIsRejectedByTheImporter() throws Exception {
        OnnxGraph g = OnnxReader.parse(ByteBuffer.wrap(ProtoWriter.model(ProtoWriter.tensor("w", 2, 3, true))), "tiny");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> BertOnnxImporter.load(g));
        assertTrue(e.getMessage().contains("no BERT encoder layers"), e.getMessage());
    }
}
