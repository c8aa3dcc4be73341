package dev.spruce.model;

import dev.spruce.tensor.Matrix;

/**
 * One linear layer of a model, y = W x + b, applied to a batch of tokens (one per row): Y (N x out) =
 * X (N x in) W<sup>T</sup> + b. Implementations differ only in how W is stored and multiplied (dense,
 * 2:4, block-sparse, ARMOR) and all run through the {@code Backend} SPI, so a model swaps them freely.
 */
public interface Linear extends AutoCloseable {

    /** The layer's name as the model file gives it, e.g. {@code encoder.layer.0.attention.self.query}. */
    String name();

    int inFeatures();

    int outFeatures();

    /** Short layout name for reports: "dense", "sparse24", ... */
    String kind();

    /** Bytes the weights (and any metadata and bias) take. */
    long bytes();

    /** Y = X W^T + b; X is N x in, Y is N x out, both F32, distinct. */
    void forward(Matrix x, Matrix y);

    /** Frees the weights. Idempotent. */
    @Override
    void close();
}
