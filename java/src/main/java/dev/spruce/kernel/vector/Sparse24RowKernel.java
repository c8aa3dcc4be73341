package dev.spruce.kernel.vector;

import java.lang.foreign.MemorySegment;

/** 2:4 product for a batch of tokens with vector lanes over weight rows (see {@link Sparse24RowGemm}). */
interface Sparse24RowKernel {
    /** Rows per block: the kernel takes row ranges whose length is a multiple of this. */
    int rowBlock();

    /**
     * For every token t in [0, n) and row r in [r0, r1): y[t*m + r] = S[r, :] . x[t, :]; r1 - r0 is a multiple of
     * {@link #rowBlock()}; {@code pack} is the layer's {@link Sparse24RowPack} for this width.
     */
    void rows(Sparse24RowPack pack, MemorySegment vals, MemorySegment codes, boolean bf16, int m, int k,
              MemorySegment x, int n, MemorySegment y, int r0, int r1);
}
