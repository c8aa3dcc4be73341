package dev.spruce.model;

import dev.spruce.tensor.Matrix;

/**
 * Observes the input of every {@link Linear} during a forward pass, for calibration: {@code input} holds
 * one row per real token of the batch (padding never reaches the layers, so it is never seen here), in
 * the layer's input width. The matrix is valid only during the call; copy what you keep. Layers that
 * share an input (query, key, value) are each reported under their own name.
 */
@FunctionalInterface
public interface LinearTap {
    void observe(String layerName, Matrix input);
}
