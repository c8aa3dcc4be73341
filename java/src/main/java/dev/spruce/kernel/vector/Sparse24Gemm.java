package dev.spruce.kernel.vector;

import dev.spruce.layout.Sparse24;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;

/**
 * Y = S X for a {@link Sparse24} S and many tokens: broadcast outer products over a transposed activation tile.
 *
 * <p>The driver ({@link Sparse24VectorOps}) transposes a block of 8L tokens (L = float lanes) into XT, k-major.
 * This kernel walks K in tiles of 64 logical k, so the XT slice in use (64 x 8L floats = 32 KB at 512 bits) stays
 * in L1 while a block of rows streams past it. Per row and tile it first decodes the codes into a short list of
 * (XT offset, value) pairs (scalar work shared by all 8L tokens), then broadcasts each kept value once and
 * multiplies it into 8 accumulator vectors (8L tokens, 8 independent FMA chains) whose activation operand is one
 * contiguous L1 load at the row the code names. The dropped half of W costs nothing at all: half the FMAs of a
 * dense GEMM, which is what a compute-bound batch needs. Partial sums live in the driver's per-row-block
 * accumulator (L1-sized) between tiles. Loaded once per vector width by {@link WidthSpecialized}.
 */
final class Sparse24Gemm implements Sparse24OuterKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final int L = FS.length();
    /** Tokens per transposed block: 8 accumulator vectors per row. */
    private static final int TB = 8 * L;
    /**
     * Logical k per tile: 64 k x TB tokens x 4 B = 32 KB of XT at 512 bits (16 KB at 256); 128 (64 KB, past L1)
     * measured twice as slow. Override with -Dspruce.sparse24.outerKTile (a multiple of 16) for tuning.
     */
    private static final int KT = Math.max(16, Integer.getInteger("spruce.sparse24.outerKTile", 64) / 16 * 16);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;

    Sparse24Gemm() {
    }

    @Override
    public String toString() {
        return "Sparse24Gemm[" + BITS + " bits]";
    }

    @Override
    public int blockTokens() {
        return TB;
    }

    @Override
    public int kTile() {
        return KT;
    }

    @Override
    public void tile(MemorySegment vals, MemorySegment codes, boolean bf16, int k, float[] xt, int k0, int kt,
                     float[] acc, int r0, int r1) {
        final int kept = kt / 2;
        final int[] offA = new int[kept];
        final float[] wA = new float[kept];
        for (int r = r0; r < r1; r++) {
            decode(vals, codes, bf16, k, r, k0, kt, offA, wA);
            oneRow(xt, offA, wA, kept, acc, (r - r0) * TB);
        }
    }

    /** off[i] = XT offset of the activation row for kept value i of row r in the tile; w[i] = the value. */
    private static void decode(MemorySegment vals, MemorySegment codes, boolean bf16, int k, int r, int k0, int kt,
                               int[] off, float[] w) {
        final long vRow = (long) r * (k / 2);
        final long cRow = (long) r * Sparse24.wordsPerRow(k);
        final int g0 = k0 / 4;
        final int groups = kt / 4;
        // k0 and kt are multiples of 16 except at the end of K, so whole code words are read at once.
        for (int j = 0; j < groups; j += 4) {
            int word = codes.getAtIndex(U16, cRow + ((g0 + j) >>> 2)) & 0xffff;
            int n = Math.min(4, groups - j);
            for (int q = 0; q < n; q++) {
                int code = (word >>> (4 * q)) & 0xf;
                int base = (k0 + 4 * (j + q)) * TB;
                off[2 * (j + q)] = base + (code & 3) * TB;
                off[2 * (j + q) + 1] = base + (code >>> 2) * TB;
            }
        }
        final long v0 = vRow + k0 / 2;
        if (bf16) {
            for (int i = 0; i < 2 * groups; i++) {
                w[i] = Float.intBitsToFloat((vals.getAtIndex(U16, v0 + i) & 0xffff) << 16);
            }
        } else {
            for (int i = 0; i < 2 * groups; i++) {
                w[i] = vals.getAtIndex(F32, v0 + i);
            }
        }
    }

    private static void oneRow(float[] xt, int[] off, float[] w, int kept, float[] acc, int at) {
        FloatVector a0 = FloatVector.fromArray(FS, acc, at);
        FloatVector a1 = FloatVector.fromArray(FS, acc, at + L);
        FloatVector a2 = FloatVector.fromArray(FS, acc, at + 2 * L);
        FloatVector a3 = FloatVector.fromArray(FS, acc, at + 3 * L);
        FloatVector a4 = FloatVector.fromArray(FS, acc, at + 4 * L);
        FloatVector a5 = FloatVector.fromArray(FS, acc, at + 5 * L);
        FloatVector a6 = FloatVector.fromArray(FS, acc, at + 6 * L);
        FloatVector a7 = FloatVector.fromArray(FS, acc, at + 7 * L);
        for (int i = 0; i < kept; i++) {
            int p = off[i];
            FloatVector v = FloatVector.broadcast(FS, w[i]);
            a0 = v.fma(FloatVector.fromArray(FS, xt, p), a0);
            a1 = v.fma(FloatVector.fromArray(FS, xt, p + L), a1);
            a2 = v.fma(FloatVector.fromArray(FS, xt, p + 2 * L), a2);
            a3 = v.fma(FloatVector.fromArray(FS, xt, p + 3 * L), a3);
            a4 = v.fma(FloatVector.fromArray(FS, xt, p + 4 * L), a4);
            a5 = v.fma(FloatVector.fromArray(FS, xt, p + 5 * L), a5);
            a6 = v.fma(FloatVector.fromArray(FS, xt, p + 6 * L), a6);
            a7 = v.fma(FloatVector.fromArray(FS, xt, p + 7 * L), a7);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + L);
        a2.intoArray(acc, at + 2 * L);
        a3.intoArray(acc, at + 3 * L);
        a4.intoArray(acc, at + 4 * L);
        a5.intoArray(acc, at + 5 * L);
        a6.intoArray(acc, at + 6 * L);
        a7.intoArray(acc, at + 7 * L);
    }
}
