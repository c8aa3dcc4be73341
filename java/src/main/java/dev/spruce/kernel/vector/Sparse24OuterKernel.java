package dev.spruce.kernel.vector;

import java.lang.foreign.MemorySegment;

/** 2:4 product for many tokens as broadcast outer products over a transposed activation tile (see {@link Sparse24Gemm}). */
interface Sparse24OuterKernel {
    /** Tokens per transposed block (the row length of XT and of the accumulator rows). */
    int blockTokens();

    /** Logical k per tile: the slice of XT one pass over the rows reads, sized for L1. */
    int kTile();

    /**
     * For rows r in [r0, r1): acc[(r - r0) * blockTokens + j] += S[r, k0..k0+kt) . XT[k0..k0+kt)[j], where
     * xt[kk * blockTokens + j] = X[t0 + j][kk] for the whole K (kk &lt; K).
     */
    void tile(MemorySegment vals, MemorySegment codes, boolean bf16, int k, float[] xt, int k0, int kt,
              float[] acc, int r0, int r1);
}
