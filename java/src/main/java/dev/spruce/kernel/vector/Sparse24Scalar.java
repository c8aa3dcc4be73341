package dev.spruce.kernel.vector;

import dev.spruce.layout.Sparse24;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Scalar pieces shared by the 2:4 kernels (the GEMV's K tail, the row kernel's K tail and its repack). Holds no
 * Vector API species, so every width-specialised kernel copy may call it.
 */
final class Sparse24Scalar {
    private static final ValueLayout.OfFloat JF = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfShort JS = ValueLayout.JAVA_SHORT;

    private Sparse24Scalar() {
    }

    /** Value slot i of the values segment widened to float (a bf16 is the top half of its float). */
    static float value(MemorySegment vals, boolean bf16, long i) {
        return bf16 ? Float.intBitsToFloat((vals.getAtIndex(JS, i) & 0xffff) << 16) : vals.getAtIndex(JF, i);
    }

    /** The 4-bit code of group g of the row whose code words start at word index {@code rowWords}. */
    static int code(MemorySegment codes, long rowWords, int g) {
        return (codes.getAtIndex(JS, rowWords + (g >>> 2)) >>> (4 * (g & 3))) & 0xf;
    }

    /** Row r's groups [g0, K/4) against the token at byte xo of x, summed in group order. */
    static float groups(MemorySegment vals, MemorySegment codes, boolean bf16, int k, int r, int g0,
                        MemorySegment x, long xo) {
        long vRow = (long) r * (k / 2);
        long cRow = (long) r * Sparse24.wordsPerRow(k);
        float acc = 0f;
        for (int g = g0; g < k / 4; g++) {
            int code = code(codes, cRow, g);
            long xg = xo + 16L * g;
            acc += value(vals, bf16, vRow + 2L * g) * x.get(JF, xg + 4L * (code & 3));
            acc += value(vals, bf16, vRow + 2L * g + 1) * x.get(JF, xg + 4L * (code >>> 2));
        }
        return acc;
    }
}
