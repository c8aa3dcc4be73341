package dev.spruce.kernel;

import dev.spruce.tensor.Matrix;

/**
 * A weight matrix W (M x K) made ready by one backend for many products Y = X W<sup>T</sup>, the way an
 * inference runtime pre-packs a model's constant weights once at load time instead of on every call.
 *
 * <p>A backend may keep its own re-laid-out copy (then {@link #packedBytes()} says how big it is) or use W in
 * place. Either way W must not be changed after {@link Backend#prepareGemm} (a copy would not see the change,
 * in-place use would); a model's layer owns its weights and never does.
 */
public interface PreparedGemm {
    /** M, the output features. */
    int rows();

    /** K, the input features. */
    int cols();

    /** Y (N x M): row n is W times row n of X (N x K); same checks and results as {@link Backend#gemm}. */
    void gemm(Matrix x, Matrix y);

    /**
     * Y = X W<sup>T</sup> + bias: as {@link #gemm(Matrix, Matrix)}, then {@code bias} (length M; null for none)
     * added to every row. A backend may fuse the addition into its product.
     */
    default void gemm(Matrix x, Matrix y, float[] bias) {
        Checks.bias(bias, rows());
        gemm(x, y);
        if (bias != null) {
            y.addToRows(bias);
        }
    }

    /** Bytes of the backend's own copy of the weights, 0 when it multiplies with W in place. */
    long packedBytes();

    /** The default: every product is {@link Backend#gemm} on W in place. */
    static PreparedGemm inPlace(Backend backend, Matrix w) {
        Checks.notNull(backend, "backend");
        Checks.notNull(w, "weights");
        w.requireOpen();
        return new PreparedGemm() {
            @Override
            public int rows() {
                return w.rows();
            }

            @Override
            public int cols() {
                return w.cols();
            }

            @Override
            public void gemm(Matrix x, Matrix y) {
                backend.gemm(w, x, y);
            }

            @Override
            public long packedBytes() {
                return 0;
            }

            @Override
            public String toString() {
                return "in-place " + w.shapeString() + " on " + backend.name();
            }
        };
    }
}
