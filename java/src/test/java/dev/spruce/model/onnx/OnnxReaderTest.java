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
