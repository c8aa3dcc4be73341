package dev.spruce.model;

import dev.spruce.model.onnx.OnnxGraph;
import dev.spruce.model.tokenizer.WordPieceTokenizer;

/** The embedded MiniLM, loaded once per test JVM (reading and transposing 90 MB takes a second or two). */
public final class Shared {
    private static OnnxGraph graph;
    private static SentenceEncoder encoder;
    private static OrtSentenceEncoder ort;

    private Shared() {
    }

    public static synchronized OnnxGraph graph() throws Exception {
        if (graph == null) {
            graph = MiniLm.graph();
        }
        return graph;
    }

    public static synchronized SentenceEncoder encoder() throws Exception {
        if (encoder == null) {
            encoder = new SentenceEncoder(MiniLm.tokenizer(), BertOnnxImporter.load(graph()));
        }
        return encoder;
    }

    public static WordPieceTokenizer tokenizer() throws Exception {
        return encoder().tokenizer();
    }

    public static synchronized OrtSentenceEncoder ort() throws Exception {
        if (ort == null) {
            ort = OrtSentenceEncoder.miniLm(2);
        }
        return ort;
    }

    public static double cosine(float[] a, float[] b) {
        double d = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            d += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return d / Math.sqrt(na * nb);
    }
}
