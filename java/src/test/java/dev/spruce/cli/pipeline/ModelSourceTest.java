package dev.spruce.cli.pipeline;

import dev.spruce.model.Pooling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which tokenizer a bare {@code --model FILE.onnx} gets, and that the pooling travels with the source. */
class ModelSourceTest {
    @TempDir
    Path dir;

    @Test
    void tokenizerBesideTheModelIsFoundUnderEitherName() throws Exception {
        Path onnx = Files.writeString(dir.resolve("bge-small-en-v1.5.onnx"), "x");
        // Nothing beside it: the embedded MiniLM tokenizer.
        assertEquals(ModelSource.embedded().tokenizerRef(), ModelSource.of(onnx, null, Pooling.MEAN).tokenizerRef());
        // The LangChain4j jars' naming.
        Path named = Files.writeString(dir.resolve("bge-small-en-v1.5-tokenizer.json"), "{}");
        assertEquals(named.toAbsolutePath().toString(), ModelSource.of(onnx, null, Pooling.MEAN).tokenizerRef());
        // The Hugging Face naming wins when both exist.
        Path plain = Files.writeString(dir.resolve("tokenizer.json"), "{}");
        assertEquals(plain.toAbsolutePath().toString(), ModelSource.of(onnx, null, Pooling.MEAN).tokenizerRef());
        // An explicit tokenizer wins over both.
        Path given = Files.writeString(dir.resolve("other.json"), "{}");
        assertEquals(given.toAbsolutePath().toString(), ModelSource.of(onnx, given, Pooling.MEAN).tokenizerRef());
    }

    @Test
    void poolingTravelsWithTheSource() {
        assertEquals(Pooling.MEAN, ModelSource.embedded().pooling());
        assertEquals(Pooling.CLS, ModelSource.of(null, null, Pooling.CLS).pooling());
        assertEquals(ModelSource.embedded().tokenizerRef(), ModelSource.of(null, null, Pooling.CLS).tokenizerRef());
    }
}
