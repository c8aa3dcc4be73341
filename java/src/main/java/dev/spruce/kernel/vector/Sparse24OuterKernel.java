package dev.spruce.kernel.vector;

import java.lang.foreign.MemorySegment;

/** 2:4 product for many tokens as broadcast outer products over a transposed activation tile (see {@link Sparse24Gemm}). */
interface Sparse24OuterKernel {
    /** Tokens per transposed tile (the tile's row length). */
    int blockTokens();

    /**
     * For rows r in [r0, r1) and the tokens t0..t0+tokens-1 held in {@code xt} (xt[kk * blockTokens + j] =
     * X[t0 + j][k0 + kk], kk &lt; kt): adds S[r, k0..k0+kt) . X[t, k0..k0+kt) into Y[t][r], or stores it when k0 == 0.
     */
    void rows(MemorySegment vals, MemorySegment codes, boolean bf16, int m, int k, float[] xt,
              int t0, int tokens, int k0, int kt, MemorySegment y, int r0, int r1);
}
