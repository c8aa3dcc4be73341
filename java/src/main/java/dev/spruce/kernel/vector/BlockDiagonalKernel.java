package dev.spruce.kernel.vector;

import java.lang.foreign.MemorySegment;

/**
 * Block-diagonal products for ARMOR's wrappers (see {@link BlockDiagonalGemm}): for tokens [t0, t1) and blocks
 * [b0, b1), {@code out[t, b*bs + r] = sum_c D_b[r, c] * in[t, b*bs + c] (+ bias[b*bs + r])}. {@code in} and
 * {@code out} are token-major with n floats per token; {@code d} holds the n/bs blocks back to back, row-major;
 * {@code bias} is n floats or null.
 */
interface BlockDiagonalKernel {
    /** Float lanes of this copy's vectors. */
    int lanes();

    /** Dot-product form: rows of each block against the token's slab (no transposed copy; one or a few tokens). */
    void dots(MemorySegment d, int n, int bs, MemorySegment in, MemorySegment out, MemorySegment bias,
              int t0, int t1, int b0, int b1);

    /**
     * Axpy/GEMM form from the transposed blocks {@code dt} (block b column-major at element b*bs*bs): no horizontal
     * sums. Requires bs to be a multiple of {@link #lanes()}.
     */
    void outer(MemorySegment dt, int n, int bs, MemorySegment in, MemorySegment out, MemorySegment bias,
               int t0, int t1, int b0, int b1);
}
