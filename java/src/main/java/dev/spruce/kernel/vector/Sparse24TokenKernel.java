package dev.spruce.kernel.vector;

import java.lang.foreign.MemorySegment;

/** 2:4 product for many tokens with vector lanes over tokens (see {@link Sparse24TokenGemm}). */
interface Sparse24TokenKernel {
    /** Tokens per block: the transposed activations hold this many token columns per k. */
    int blockTokens();

    /**
     * xt[kk * blockTokens + t] = x[t0 + t, kk] for t in [0, nt) and kk in [k0, k1) (x is tokens x K, f32), and zero
     * for the rest of the last token vector; k ranges may be filled in parallel.
     */
    void transpose(MemorySegment x, int k, int t0, int nt, float[] xt, int k0, int k1);

    /**
     * For tokens t0 + [0, nt) (nt at most {@link #blockTokens()}) and rows [r0, r1):
     * y[(t0 + t) * M + r] = S[r, :] . x[t0 + t, :], S given as its {@link Sparse24TokenPack}. {@code xt} is that
     * token block as {@link #transpose} leaves it: K rows of {@link #blockTokens()} f32 token columns.
     */
    void rows(Sparse24TokenPack pack, float[] xt, int t0, int nt, MemorySegment y, int r0, int r1);
}
