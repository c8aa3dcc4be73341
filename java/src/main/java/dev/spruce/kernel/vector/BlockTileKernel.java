package dev.spruce.kernel.vector;

import java.lang.foreign.MemorySegment;

/**
 * Block-sparse product for many tokens: each kept block is a small dense GEMM against the packed, transposed
 * activations (see {@link BlockSparseGemm}). X is packed by the dense {@link TileKernel#pack} (same token block).
 */
interface BlockTileKernel {
    /** Tokens per packed block; equals the dense tile kernel's, whose packing is reused. */
    int blockTokens();

    /**
     * Y rows of block rows [i0, i1), every token: y[t*m + r] = S[r, :] . X[t, :], using the packed {@code xt}
     * ({@code xt[(b*K + k)*B + j] = X[b*B + j, k]}).
     *
     * @param vals   block values, F32 or BF16 ({@code bf16}), block p at element p*bh*bw, row-major
     * @param rowPtr block-row pointers (blockRows+1)
     * @param cols   block column of each kept block
     */
    void rows(MemorySegment vals, boolean bf16, int[] rowPtr, int[] cols, int bh, int bw, int m, int k, float[] xt,
              int n, MemorySegment y, int i0, int i1);
}
