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

    /**
     * Pack units of an n x k product: (token block, K slice of {@code PACK_K}) pairs, so that packing one block
     * of a small batch is split over the threads too instead of running on the caller alone.
     */
    static int packUnits(int n, int k, int blockTokens) {
        return (n + blockTokens - 1) / blockTokens * ((k + PACK_K - 1) / PACK_K);
    }

    /** Logical k per pack unit. */
    int PACK_K = 128;

    /** Packs units [u0, u1) (see {@link #packUnits}) of X (n x k, F32) into {@code xt}. */
    void pack(MemorySegment x, int n, int k, float[] xt, int u0, int u1);

    /** Y rows [r0, r1) of every token: y[t*m + r] = W[r, :] . X[t, :], using the packed {@code xt}. */
    void rows(MemorySegment w, int wt, int m, int k, float[] xt, int n, MemorySegment y, int r0, int r1);
}
