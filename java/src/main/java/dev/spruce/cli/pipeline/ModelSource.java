package dev.spruce.cli.pipeline;

import dev.spruce.model.BertOnnxImporter;
import dev.spruce.model.MiniLm;
import dev.spruce.model.ModelFormatException;
import dev.spruce.model.Pooling;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.model.onnx.OnnxReader;
import dev.spruce.model.tokenizer.WordPieceTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Where a dense model comes from: the embedded all-MiniLM-L6-v2 (default) or an ONNX file, plus its
 * tokenizer and pooling. The tokenizer is kept as a reference string ({@code classpath:NAME} or a file path),
 * which a packed model file records next to its own copy of the tokenizer's bytes.
 */
public record ModelSource(Path onnx, String tokenizerRef, Pooling pooling) {
    public static final String CLASSPATH = "classpath:";

    public ModelSource {
        java.util.Objects.requireNonNull(tokenizerRef, "tokenizerRef");
        java.util.Objects.requireNonNull(pooling, "pooling");
    }

    /** The embedded default model (mean pooling). */
    public static ModelSource embedded() {
        return new ModelSource(null, CLASSPATH + MiniLm.TOKENIZER_RESOURCE, Pooling.MEAN);
    }

    /**
     * An ONNX file; the tokenizer is {@code tokenizer} when given, else one beside the model named
     * {@code tokenizer.json} or {@code <model name>-tokenizer.json} (the LangChain4j jars' naming), else the
     * embedded MiniLM's (BERT uncased WordPiece; the encoder checks the vocabulary fits).
     */
    public static ModelSource of(Path onnx, Path tokenizer, Pooling pooling) {
        if (onnx == null) {
            return tokenizer == null ? new ModelSource(null, embedded().tokenizerRef(), pooling)
                    : new ModelSource(null, tokenizer.toAbsolutePath().toString(), pooling);
        }
        if (tokenizer != null) {
            return new ModelSource(onnx, tokenizer.toAbsolutePath().toString(), pooling);
        }
        Path abs = onnx.toAbsolutePath();
        String stem = abs.getFileName().toString().replaceFirst("(?i)\\.onnx$", "");
        for (Path beside : new Path[] {abs.resolveSibling("tokenizer.json"), abs.resolveSibling(stem + "-tokenizer.json")}) {
            if (Files.isRegularFile(beside)) {
                return new ModelSource(onnx, beside.toString(), pooling);
            }
        }
        return new ModelSource(onnx, CLASSPATH + MiniLm.TOKENIZER_RESOURCE, pooling);
    }

    /** A short description for reports. */
    public String label() {
        return onnx == null ? "all-MiniLM-L6-v2 (embedded)" : onnx.toString();
    }

    /** The dense Java encoder (tokenizer + imported model on the fastest CPU backend). */
    public SentenceEncoder load() throws ModelFormatException {
        WordPieceTokenizer tok = tokenizer(tokenizerRef);
        if (onnx == null) {
            return new SentenceEncoder(tok, BertOnnxImporter.load(MiniLm.graph()), pooling);
        }
        return new SentenceEncoder(tok, BertOnnxImporter.load(OnnxReader.read(onnx)), pooling);
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

    /** The bytes of the tokenizer file a reference names ({@code classpath:NAME} or a path). */
    public static byte[] tokenizerBytes(String ref) throws IOException {
        if (ref.startsWith(CLASSPATH)) {
            String name = ref.substring(CLASSPATH.length());
            try (var in = ModelSource.class.getClassLoader().getResourceAsStream(name)) {
                if (in == null) {
                    throw new NoSuchFileException("class-path resource " + name);
                }
                return in.readAllBytes();
            }
        }
        return Files.readAllBytes(Path.of(ref));
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
