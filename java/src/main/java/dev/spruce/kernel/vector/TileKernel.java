package dev.spruce.kernel.vector;

import java.lang.foreign.MemorySegment;

/**
 * Dense product for many tokens, register-blocked. X is first packed transposed into blocks of
 * {@link #blockTokens()} tokens ({@code xt[(b*K + k)*B + j] = X[b*B + j, k]}, zero beyond N), so the
 * kernel can load whole vectors of tokens and broadcast single weights (see {@link DenseGemm}).
 */
interface TileKernel {
    /** Tokens per packed block (two vectors' worth of lanes). */
    int blockTokens();

    /** Packs token blocks [b0, b1) of X (n x k, F32) into {@code xt}. */
    void pack(MemorySegment x, int n, int k, float[] xt, int b0, int b1);

    /** Y rows [r0, r1) of every token: y[t*m + r] = W[r, :] . X[t, :], using the packed {@code xt}. */
    void rows(MemorySegment w, int wt, int m, int k, float[] xt, int n, MemorySegment y, int r0, int r1);
}
