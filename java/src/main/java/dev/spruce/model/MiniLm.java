package dev.spruce.model;

import dev.spruce.model.onnx.OnnxGraph;
import dev.spruce.model.onnx.OnnxReader;
import dev.spruce.model.tokenizer.WordPieceTokenizer;

/**
 * The embedded default model: all-MiniLM-L6-v2 as shipped in LangChain4j's Maven Central artifact
 * (fp32 ONNX export and its tokenizer.json, read from the class path).
 */
public final class MiniLm {
    public static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
    public static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    private MiniLm() {
    }

    /** The ONNX graph of the embedded model (about 90 MB, read into memory). */
    public static OnnxGraph graph() throws ModelFormatException {
        return OnnxReader.read(MiniLm.class.getClassLoader().getResourceAsStream(ONNX_RESOURCE),
                "class-path resource " + ONNX_RESOURCE);
    }

    public static WordPieceTokenizer tokenizer() throws ModelFormatException {
        return WordPieceTokenizer.load(MiniLm.class.getClassLoader().getResourceAsStream(TOKENIZER_RESOURCE),
                "class-path resource " + TOKENIZER_RESOURCE);
    }

    /** Tokenizer plus dense model on the fastest CPU backend. */
    public static SentenceEncoder load() throws ModelFormatException {
        return new SentenceEncoder(tokenizer(), BertOnnxImporter.load(graph()));
    }

    /** The raw bytes of the embedded ONNX file (for ONNX Runtime). */
    public static byte[] onnxBytes() throws ModelFormatException {
        try (var in = MiniLm.class.getClassLoader().getResourceAsStream(ONNX_RESOURCE)) {
            if (in == null) {
                throw new ModelFormatException("model not found: class-path resource " + ONNX_RESOURCE);
            }
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new ModelFormatException("cannot read class-path resource " + ONNX_RESOURCE + ": " + e.getMessage(), e);
        }
    }
}
