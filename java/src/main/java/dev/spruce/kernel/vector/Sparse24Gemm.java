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
 * <p>The driver ({@link Sparse24VectorOps}) transposes a block of 8L tokens (L = float lanes) into XT, k-major,
 * K tiled to stay in L2. For each weight row this kernel first decodes the row's codes for the tile into a small
 * list of (XT row offset, value) pairs (scalar work, once per row and tile, shared by all 8L tokens); then every
 * kept value is broadcast once and multiplies all 8L tokens with 8 FMAs whose activation operand is one
 * contiguous load of XT at the row its code names. The dropped half of W costs nothing at all, so this does half
 * the FMAs of a dense GEMM, which is what a compute-bound batch needs; 8 independent accumulators hide the FMA
 * latency. Loaded once per vector width by {@link WidthSpecialized}.
 */
final class Sparse24Gemm implements Sparse24OuterKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final int L = FS.length();
    /** Tokens per transposed tile: 8 accumulator vectors per row. */
    private static final int TB = 8 * L;
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
    public void rows(MemorySegment vals, MemorySegment codes, boolean bf16, int m, int k, float[] xt,
                     int t0, int tokens, int k0, int kt, MemorySegment y, int r0, int r1) {
        final int kept = kt / 2;
        final int[] off = new int[kept];
        final float[] w = new float[kept];
        final float[] out = new float[TB];
        for (int r = r0; r < r1; r++) {
            decode(vals, codes, bf16, k, r, k0, kt, off, w);
            accumulate(xt, off, w, kept, out);
            emit(y, m, r, t0, tokens, k0 == 0, out);
        }
    }

    /** off[i] = XT offset of the activation row for kept value i of row r in the tile; w[i] = the value. */
    private static void decode(MemorySegment vals, MemorySegment codes, boolean bf16, int k, int r, int k0, int kt,
                               int[] off, float[] w) {
        final long vRow = (long) r * (k / 2);
        final long cRow = (long) r * Sparse24.wordsPerRow(k);
        final int g0 = k0 / 4;
        final int groups = kt / 4;
        for (int j = 0; j < groups; j++) {
            int g = g0 + j;
            int code = (codes.getAtIndex(U16, cRow + (g >>> 2)) >>> ((g & 3) << 2)) & 0xf;
            off[2 * j] = (4 * j + (code & 3)) * TB;
            off[2 * j + 1] = (4 * j + (code >>> 2)) * TB;
        }
        if (bf16) {
            for (int i = 0; i < 2 * groups; i++) {
                w[i] = Float.intBitsToFloat((vals.getAtIndex(U16, vRow + k0 / 2 + i) & 0xffff) << 16);
            }
        } else {
            MemorySegment.copy(vals, F32, 4L * (vRow + k0 / 2), w, 0, 2 * groups);
        }
    }

    /** out[0..TB) = sum over kept values i of w[i] * XT[off[i] .. off[i] + TB). */
    private static void accumulate(float[] xt, int[] off, float[] w, int kept, float[] out) {
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector a7 = a0;
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
        a0.intoArray(out, 0);
        a1.intoArray(out, L);
        a2.intoArray(out, 2 * L);
        a3.intoArray(out, 3 * L);
        a4.intoArray(out, 4 * L);
        a5.intoArray(out, 5 * L);
        a6.intoArray(out, 6 * L);
        a7.intoArray(out, 7 * L);
    }

    /** Writes (first K tile) or adds the token sums of row r into column r of Y. */
    private static void emit(MemorySegment y, int m, int r, int t0, int tokens, boolean first, float[] out) {
        for (int j = 0; j < tokens; j++) {
            long i = (long) (t0 + j) * m + r;
            y.setAtIndex(F32, i, first ? out[j] : y.getAtIndex(F32, i) + out[j]);
        }
    }
}
