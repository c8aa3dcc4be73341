package dev.spruce.kernel;

/** The operations a {@link Backend} may implement; {@link Backend#supports} answers per op and weight dtype. */
public enum Op {
    /** y = W x, one token. */
    GEMV,
    /** Y = W X, a batch of tokens. */
    GEMM,
    /** y = S x with S a 2:4 {@code Sparse24} layout. */
    SPMV24,
    /** Y = S X with S a 2:4 {@code Sparse24} layout. */
    SPMM24,
    /** Block-sparse products (BSR). */
    BLOCK_SPMM,
    /** ARMOR y = A (S (B x)). */
    ARMOR,
    /** Multi-head scaled dot-product self-attention over packed sentences (float32 activations: ask with F32). */
    ATTENTION
}
