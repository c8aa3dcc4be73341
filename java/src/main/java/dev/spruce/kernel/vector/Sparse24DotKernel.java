package dev.spruce.kernel.vector;

import java.lang.foreign.MemorySegment;

/** 2:4 product for one or a few tokens by in-register activation selection (see {@link Sparse24Gemv}). */
interface Sparse24DotKernel {
    /**
     * For every token t in [0, n) and row r in [r0, r1): y[t*m + r] = S[r, :] . x[t, :].
     *
     * @param vals  values, M x K/2, F32 or (when {@code bf16}) BF16
     * @param codes canonical code words, M x ceil(K/16) 16-bit
     */
    void rows(MemorySegment vals, MemorySegment codes, boolean bf16, int m, int k,
              MemorySegment x, int n, MemorySegment y, int r0, int r1);
}
