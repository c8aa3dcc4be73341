package dev.spruce.cli.pipeline;

/**
 * The two kinds of Linear in a BERT layer, for per-type sparsity choices: the four attention projections
 * (query, key, value, attention output) and the two feed-forward ones (intermediate, output).
 */
public enum LayerType {
    ATTENTION,
    FFN;

    /** The type of a Linear from its name (as the model file gives it, e.g. encoder.layer.0.attention.self.query). */
    public static LayerType of(String linearName) {
        return linearName.contains("attention") ? ATTENTION : FFN;
    }
}
