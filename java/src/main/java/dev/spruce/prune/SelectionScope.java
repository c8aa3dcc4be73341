package dev.spruce.prune;

/** Over which set of weights an unstructured prune count floor(sparsity x size) is taken. */
public enum SelectionScope {
    /** Each output row separately (Wanda). */
    ROW,
    /** The whole matrix at once (per-layer magnitude, NoWag-P). */
    MATRIX
}
