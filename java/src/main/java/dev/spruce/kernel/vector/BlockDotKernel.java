package dev.spruce.kernel.vector;

import java.lang.foreign.MemorySegment;

/** Block-sparse product for a few tokens as dot products over the kept blocks (see {@link BlockSparseGemv}). */
interface BlockDotKernel {
    /**
     * For every token t in [0, n) and every row r of block rows [i0, i1): y[t*m + r] = S[r, :] . x[t, :].
     * Arguments as in {@link BlockTileKernel#rows}, with X unpacked (n x k, F32).
     */
    void rows(MemorySegment vals, boolean bf16, int[] rowPtr, int[] cols, int bh, int bw, int m, int k,
              MemorySegment x, int n, MemorySegment y, int i0, int i1);
}
