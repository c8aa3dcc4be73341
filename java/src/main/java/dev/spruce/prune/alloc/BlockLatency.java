package dev.spruce.prune.alloc;

/**
 * Time of one block-sparse layer product Y = X W<sup>T</sup> (W rows x cols, batch tokens), for a
 * latency budget. Sparsity 0 means the layer stays dense and is timed with the dense kernel, so an
 * allocation can keep a layer dense wherever the sparse kernel would be slower.
 */
public interface BlockLatency {

    /** Seconds for one product; finite and > 0. */
    double seconds(int rows, int cols, int blockHeight, int blockWidth, double sparsity, int batch);

    /** A {@link LayerCost} in seconds at {@code batch} tokens. */
    default LayerCost asCost(int batch) {
        return (c, p) -> seconds(c.rows(), c.cols(), c.blockHeight(), c.blockWidth(), p, batch);
    }
}
