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
 * <p>The driver ({@link Sparse24VectorOps}) transposes a block of 4L tokens (L = float lanes) into XT, k-major,
 * K tiled to stay in L2. Here each kept value is broadcast once and multiplies all 4L tokens with 4 FMAs whose
 * activation operand is one contiguous load of XT at the row its code names. The dropped half of W costs nothing
 * at all, so this does half the FMAs of a dense GEMM, which is what a compute-bound batch needs. Two weight rows
 * run together so 8 independent accumulators hide the FMA latency. Loaded once per vector width by
 * {@link WidthSpecialized}.
 */
final class Sparse24Gemm implements Sparse24OuterKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final int L = FS.length();
    /** Tokens per transposed tile: 4 vectors per row accumulator set. */
    private static final int TB = 4 * L;
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

    private static float value(MemorySegment vals, boolean bf16, long i) {
        return bf16 ? Float.intBitsToFloat((vals.getAtIndex(U16, i) & 0xffff) << 16) : vals.getAtIndex(F32, i);
    }

    private static int code(MemorySegment codes, long rowWord, int g) {
        return (codes.getAtIndex(U16, rowWord + (g >>> 2)) >>> ((g & 3) << 2)) & 0xf;
    }

    @Override
    public void rows(MemorySegment vals, MemorySegment codes, boolean bf16, int m, int k, float[] xt,
                     int t0, int tokens, int k0, int kt, MemorySegment y, int r0, int r1) {
        final int l = L;
        final int tb = TB;
        final int half = k / 2;
        final int wpr = Sparse24.wordsPerRow(k);
        final int g0 = k0 / 4;
        final int g1 = (k0 + kt) / 4;
        final float[] out = new float[tb];
        int r = r0;
        for (; r < r1; r += 2) {
            final int rb = Math.min(r + 1, r1 - 1); // odd tail: the second row repeats the first, result dropped
            final long va = (long) r * half;
            final long vb = (long) rb * half;
            final long qa = (long) r * wpr;
            final long qb = (long) rb * wpr;
            FloatVector a0 = FloatVector.zero(FS);
            FloatVector a1 = FloatVector.zero(FS);
            FloatVector a2 = FloatVector.zero(FS);
            FloatVector a3 = FloatVector.zero(FS);
            FloatVector b0 = FloatVector.zero(FS);
            FloatVector b1 = FloatVector.zero(FS);
            FloatVector b2 = FloatVector.zero(FS);
            FloatVector b3 = FloatVector.zero(FS);
            for (int g = g0; g < g1; g++) {
                final int base = (4 * g - k0) * tb;
                final int ca = code(codes, qa, g);
                final int cb = code(codes, qb, g);
                int p = base + (ca & 3) * tb;
                FloatVector w = FloatVector.broadcast(FS, value(vals, bf16, va + 2L * g));
                a0 = w.fma(FloatVector.fromArray(FS, xt, p), a0);
                a1 = w.fma(FloatVector.fromArray(FS, xt, p + l), a1);
                a2 = w.fma(FloatVector.fromArray(FS, xt, p + 2 * l), a2);
                a3 = w.fma(FloatVector.fromArray(FS, xt, p + 3 * l), a3);
                p = base + (cb & 3) * tb;
                w = FloatVector.broadcast(FS, value(vals, bf16, vb + 2L * g));
                b0 = w.fma(FloatVector.fromArray(FS, xt, p), b0);
                b1 = w.fma(FloatVector.fromArray(FS, xt, p + l), b1);
                b2 = w.fma(FloatVector.fromArray(FS, xt, p + 2 * l), b2);
                b3 = w.fma(FloatVector.fromArray(FS, xt, p + 3 * l), b3);
                p = base + (ca >>> 2) * tb;
                w = FloatVector.broadcast(FS, value(vals, bf16, va + 2L * g + 1));
                a0 = w.fma(FloatVector.fromArray(FS, xt, p), a0);
                a1 = w.fma(FloatVector.fromArray(FS, xt, p + l), a1);
                a2 = w.fma(FloatVector.fromArray(FS, xt, p + 2 * l), a2);
                a3 = w.fma(FloatVector.fromArray(FS, xt, p + 3 * l), a3);
                p = base + (cb >>> 2) * tb;
                w = FloatVector.broadcast(FS, value(vals, bf16, vb + 2L * g + 1));
                b0 = w.fma(FloatVector.fromArray(FS, xt, p), b0);
                b1 = w.fma(FloatVector.fromArray(FS, xt, p + l), b1);
                b2 = w.fma(FloatVector.fromArray(FS, xt, p + 2 * l), b2);
                b3 = w.fma(FloatVector.fromArray(FS, xt, p + 3 * l), b3);
            }
            emit(y, m, r, t0, tokens, k0 == 0, a0, a1, a2, a3, out, l);
            if (rb != r) {
                emit(y, m, rb, t0, tokens, k0 == 0, b0, b1, b2, b3, out, l);
            }
        }
    }

    /** Writes (first K tile) or adds the 4L token sums of row r into column r of Y. */
    private static void emit(MemorySegment y, int m, int r, int t0, int tokens, boolean first,
                             FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float[] out, int l) {
        a0.intoArray(out, 0);
        a1.intoArray(out, l);
        a2.intoArray(out, 2 * l);
        a3.intoArray(out, 3 * l);
        for (int j = 0; j < tokens; j++) {
            long i = (long) (t0 + j) * m + r;
            y.setAtIndex(F32, i, first ? out[j] : y.getAtIndex(F32, i) + out[j]);
        }
    }
}
