package dev.spruce.cli.pipeline;

import dev.spruce.model.BertOnnxImporter;
import dev.spruce.model.MiniLm;
import dev.spruce.model.ModelFormatException;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.model.onnx.OnnxReader;
import dev.spruce.model.tokenizer.WordPieceTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Where a dense model comes from: the embedded all-MiniLM-L6-v2 (default) or an ONNX file, plus its
 * tokenizer. The tokenizer is kept as a reference string ({@code classpath:NAME} or a file path) so a
 * packed model file can name it instead of copying it.
 */
public record ModelSource(Path onnx, String tokenizerRef) {
    public static final String CLASSPATH = "classpath:";

    /** The embedded default model. */
    public static ModelSource embedded() {
        return new ModelSource(null, CLASSPATH + MiniLm.TOKENIZER_RESOURCE);
    }

    /**
     * An ONNX file; the tokenizer is {@code tokenizer} when given, else a {@code tokenizer.json} beside the
     * model, else the embedded MiniLM's (BERT uncased WordPiece; the encoder checks the vocabulary fits).
     */
    public static ModelSource of(Path onnx, Path tokenizer) {
        if (onnx == null) {
            return tokenizer == null ? embedded() : new ModelSource(null, tokenizer.toAbsolutePath().toString());
        }
        if (tokenizer != null) {
            return new ModelSource(onnx, tokenizer.toAbsolutePath().toString());
        }
        Path beside = onnx.toAbsolutePath().resolveSibling("tokenizer.json");
        return new ModelSource(onnx, Files.isRegularFile(beside) ? beside.toString() : CLASSPATH + MiniLm.TOKENIZER_RESOURCE);
    }

    /** A short description for reports. */
    public String label() {
        return onnx == null ? "all-MiniLM-L6-v2 (embedded)" : onnx.toString();
    }

    /** The dense Java encoder (tokenizer + imported model on the fastest CPU backend). */
    public SentenceEncoder load() throws ModelFormatException {
        WordPieceTokenizer tok = tokenizer(tokenizerRef);
        if (onnx == null) {
            return new SentenceEncoder(tok, BertOnnxImporter.load(MiniLm.graph()));
        }
        return new SentenceEncoder(tok, BertOnnxImporter.load(OnnxReader.read(onnx)));
    }

    /** The model's ONNX bytes, for ONNX Runtime. */
    public byte[] onnxBytes() throws ModelFormatException {
        if (onnx == null) {
            return MiniLm.onnxBytes();
        }
        try {
            return Files.readAllBytes(onnx);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("model file not found: " + onnx);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + onnx + ": " + e.getMessage(), e);
        }
    }

    /** Resolves a tokenizer reference ({@code classpath:NAME} or a path). */
    public static WordPieceTokenizer tokenizer(String ref) throws ModelFormatException {
        if (ref.startsWith(CLASSPATH)) {
            String name = ref.substring(CLASSPATH.length());
            var in = ModelSource.class.getClassLoader().getResourceAsStream(name);
            if (in == null) {
                throw new ModelFormatException("tokenizer not found: class-path resource " + name);
            }
            return WordPieceTokenizer.load(in, "class-path resource " + name);
        }
        return WordPieceTokenizer.load(Path.of(ref));
    }
}
