package dev.spruce.kernel;

import dev.spruce.layout.ArmorLayout;
import dev.spruce.layout.BlockSparse;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

/**
 * The kernel SPI. One implementation per execution engine: {@code ScalarBackend} (the reference,
 * always present), {@code VectorBackend} (jdk.incubator.vector, loaded after a run-time check) and
 * {@code CudaBackend} (JavaCPP, loaded only when the native library and a device are present).
 *
 * <p>Conventions shared by every implementation:
 * <ul>
 *   <li>A weight matrix W is out-features x in-features (M x K), row-major.</li>
 *   <li>Activations are float32, one token per row: X is N x K, the output Y is N x M, and each
 *       output row is {@code y_n = W x_n} (so Y = X W<sup>T</sup> in row-major terms).</li>
 *   <li>Every shape, dtype and closed-state problem is reported with an {@link IllegalArgumentException}
 *       or {@link IllegalStateException} naming it, before any memory is touched.</li>
 *   <li>An operation the backend lacks throws {@link UnsupportedOperationException} naming the backend,
 *       the op and the dtype; ask {@link #supports(Op, DType)} first.</li>
 * </ul>
 */
public interface Backend {

    /** Short name: "scalar", "vector", "cuda". */
    String name();

    /** Worker threads this backend uses for one call (1 for single-threaded). */
    int threads();

    /** Whether {@code op} runs here with weights stored as {@code weights}. */
    boolean supports(Op op, DType weights);

    /** y (1 x M) = W (M x K) times x (1 x K). */
    void gemv(Matrix w, Matrix x, Matrix y);

    /** Y (N x M): row n is W times row n of X (N x K). */
    void gemm(Matrix w, Matrix x, Matrix y);

    /**
     * W prepared for many products (see {@link PreparedGemm}); a model layer calls this once and then
     * multiplies through the result. The default multiplies with W in place; a backend whose fastest kernel
     * wants another layout returns its own copy. W must not change afterwards.
     */
    default PreparedGemm prepareGemm(Matrix w) {
        return PreparedGemm.inPlace(this, w);
    }

    /** y (1 x M) = S (M x K, 2:4 sparse) times x (1 x K). */
    default void spmv24(Sparse24 s, Matrix x, Matrix y) {
        Checks.spmv24(s, x, y);
        throw unsupported(Op.SPMV24, s.valueType());
    }

    /** Y (N x M): row n is S (M x K, 2:4 sparse) times row n of X (N x K). */
    default void spmm24(Sparse24 s, Matrix x, Matrix y) {
        Checks.spmm24(s, x, y);
        throw unsupported(Op.SPMM24, s.valueType());
    }

    /**
     * ARMOR: Y (N x M), row n = A (S (B x_n)) + bias, for the layout's block-diagonal A (M x M) and B (K x K),
     * 2:4 core S (M x K) and optional bias; X is N x K.
     */
    default void armor(ArmorLayout l, Matrix x, Matrix y) {
        Checks.armor(l, x, y);
        throw unsupported(Op.ARMOR, l.core().valueType());
    }

    /**
     * Y (N x M): row n is S (M x K, block-sparse BSR) times row n of X (N x K); N = 1 is the GEMV case.
     * Ask {@code supports(Op.BLOCK_SPMM, valueType)}; a backend may also refuse some block sizes (it says which).
     */
    default void blockSpmm(BlockSparse s, Matrix x, Matrix y) {
        Checks.blockSpmm(s, x, y);
        throw unsupported(Op.BLOCK_SPMM, s.valueType());
    }

    /**
     * Multi-head self-attention over sentences packed row after row, on heap arrays (the encoder keeps its
     * activations there): {@code q}, {@code k}, {@code v} and {@code ctx} are tokens x (heads * headDim)
     * row-major, sentence b owns rows [offsets[b], offsets[b+1]), and for each head h the context row i is
     * softmax_j(q_i . k_j / scale) v_j over j in i's sentence (no mask beyond the sentence, no dropout).
     * Ask {@code supports(Op.ATTENTION, DType.F32)}.
     */
    default void attention(float[] q, float[] k, float[] v, float[] ctx, int[] offsets, int heads, int headDim,
                           float scale) {
        Checks.attention(q, k, v, ctx, offsets, heads, headDim, scale);
        throw unsupported(Op.ATTENTION, DType.F32);
    }

    /** Convenience: returns W x for a heap vector. */
    default float[] gemv(Matrix w, float[] x) {
        try (Matrix xm = Matrix.of(x, 1, x.length); Matrix ym = Matrix.allocate(1, w.rows(), DType.F32)) {
            gemv(w, xm, ym);
            return ym.toFloatArray();
        }
    }

    /** Throws the standard "not supported" exception for this backend. */
    default UnsupportedOperationException unsupported(Op op, DType weights) {
        return new UnsupportedOperationException("backend '" + name() + "' does not implement " + op
                + " for " + weights + " weights");
    }
}
