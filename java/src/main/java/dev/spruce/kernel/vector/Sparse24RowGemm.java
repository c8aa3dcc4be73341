package dev.spruce.kernel.vector;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;

/**
 * Y = S X for a {@link Sparse24} S and a batch of tokens, with vector lanes running over weight rows.
 *
 * <p>Why this shape: on the AVX-512 machines measured here a core issues about one 512-bit load per cycle but two
 * FMAs, so a kernel that loads an activation vector per FMA (broadcast outer products over transposed tokens,
 * this class's predecessor: 0.5-0.8x dense at 32-256 tokens)
 * tops out near the dense GEMM it should beat. Here each block of L rows has been repacked (once per layer,
 * {@link Sparse24RowPack}) into per-group vectors: for each group of 4 k and each of its two kept slots, the L rows' values and the position of
 * each row's kept k inside the activation vector. Then, per token, one load of L activations (L/4 groups) serves
 * L/4 groups x 2 slots: a lane permute ({@code selectFrom}, vpermd) picks each row's activation and one FMA adds
 * L rows' products. Work per kept value is a permute plus an FMA, with almost no loads, so the 2:4 saving of half
 * the FMAs shows up as time. Six tokens are register-blocked so each repacked vector is loaded once per six
 * tokens; six is also where C2 still inlines every Vector API call of the loop (eight tokens fall back to boxed
 * vectors).
 *
 * <p>Rows come in whole blocks of L (the
 * caller sends the remainder to the dot-product kernel); groups past the last whole activation vector (K not a
 * multiple of L) are added in scalar code. Loaded once per vector width by {@link WidthSpecialized}.
 */
final class Sparse24RowGemm implements Sparse24RowKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, BITS / 4)));
    private static final int L = FS.length();
    /** Groups of 4 k per activation vector. */
    private static final int GPV = L / 4;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat JF = ValueLayout.JAVA_FLOAT;

    Sparse24RowGemm() {
    }

    @Override
    public String toString() {
        return "Sparse24RowGemm[" + BITS + " bits]";
    }

    @Override
    public int rowBlock() {
        return L;
    }

    @Override
    public void rows(Sparse24RowPack pack, MemorySegment vals, MemorySegment codes, boolean bf16, int m, int k,
                     MemorySegment x, int n, MemorySegment y, int r0, int r1) {
        final float[] w = pack.values;
        final byte[] pos = pack.positions;
        final int vecs = pack.groups / GPV;
        for (int rb = r0; rb < r1; rb += L) {
            final int base = rb / L * pack.blockSize();
            int t = 0;
            for (; t + 6 <= n; t += 6) {
                tokens6(w, pos, base, vecs, k, x, t, y, m, rb);
            }
            for (; t + 2 <= n; t += 2) {
                tokens2(w, pos, base, vecs, k, x, t, y, m, rb);
            }
            for (; t < n; t++) {
                tokens1(w, pos, base, vecs, k, x, t, y, m, rb);
            }
            if (pack.groups < k / 4) {
                tailGroups(vals, codes, bf16, k, x, n, y, m, rb, pack.groups);
            }
        }
    }

    /** Each row's activation for a kept slot: lane i of the result is x[pos[i]]. */
    private static FloatVector pick(IntVector pos, IntVector x) {
        return pos.selectFrom(x).reinterpretAsFloats();
    }

    /** L byte positions widened to ints. */
    private static IntVector positions(byte[] pos, int at) {
        return (IntVector) ByteVector.fromArray(BS, pos, at).convertShape(VectorOperators.B2I, IS, 0);
    }

    private static IntVector xv(MemorySegment x, long at) {
        return IntVector.fromMemorySegment(IS, x, at, LE);
    }

    /** Tokens t.., rows [rb, rb + L): y[t*m + rb ..] = block . x_t over the whole activation vectors. */
    private static void tokens6(float[] w, byte[] pos, int base, int vecs, int k, MemorySegment x, int t,
                                MemorySegment y, int m, int rb) {
        final long xr = 4L * k;
        final long x0 = xr * t;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        for (int v = 0; v < vecs; v++) {
            long xo = x0 + 4L * L * v;
            IntVector x0v = xv(x, xo), x1v = xv(x, xo + xr), x2v = xv(x, xo + 2 * xr), x3v = xv(x, xo + 3 * xr), x4v = xv(x, xo + 4 * xr), x5v = xv(x, xo + 5 * xr);
            for (int q = 0; q < GPV; q++) {
                int at = base + 2 * (v * GPV + q) * L;
                IntVector p0 = positions(pos, at), p1 = positions(pos, at + L);
                FloatVector w0 = FloatVector.fromArray(FS, w, at), w1 = FloatVector.fromArray(FS, w, at + L);
                a0 = pick(p1, x0v).fma(w1, pick(p0, x0v).fma(w0, a0));
                a1 = pick(p1, x1v).fma(w1, pick(p0, x1v).fma(w0, a1));
                a2 = pick(p1, x2v).fma(w1, pick(p0, x2v).fma(w0, a2));
                a3 = pick(p1, x3v).fma(w1, pick(p0, x3v).fma(w0, a3));
                a4 = pick(p1, x4v).fma(w1, pick(p0, x4v).fma(w0, a4));
                a5 = pick(p1, x5v).fma(w1, pick(p0, x5v).fma(w0, a5));
            }
        }
        final long yr = 4L * m;
        final long yo = yr * t + 4L * rb;
        a0.intoMemorySegment(y, yo, LE);
        a1.intoMemorySegment(y, yo + yr, LE);
        a2.intoMemorySegment(y, yo + 2 * yr, LE);
        a3.intoMemorySegment(y, yo + 3 * yr, LE);
        a4.intoMemorySegment(y, yo + 4 * yr, LE);
        a5.intoMemorySegment(y, yo + 5 * yr, LE);
    }

    private static void tokens2(float[] w, byte[] pos, int base, int vecs, int k, MemorySegment x, int t,
                                MemorySegment y, int m, int rb) {
        final long xr = 4L * k;
        final long x0 = xr * t;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0;
        for (int v = 0; v < vecs; v++) {
            long xo = x0 + 4L * L * v;
            IntVector x0v = xv(x, xo), x1v = xv(x, xo + xr);
            for (int q = 0; q < GPV; q++) {
                int at = base + 2 * (v * GPV + q) * L;
                IntVector p0 = positions(pos, at), p1 = positions(pos, at + L);
                FloatVector w0 = FloatVector.fromArray(FS, w, at), w1 = FloatVector.fromArray(FS, w, at + L);
                a0 = pick(p1, x0v).fma(w1, pick(p0, x0v).fma(w0, a0));
                a1 = pick(p1, x1v).fma(w1, pick(p0, x1v).fma(w0, a1));
            }
        }
        final long yr = 4L * m;
        final long yo = yr * t + 4L * rb;
        a0.intoMemorySegment(y, yo, LE);
        a1.intoMemorySegment(y, yo + yr, LE);
    }

    private static void tokens1(float[] w, byte[] pos, int base, int vecs, int k, MemorySegment x, int t,
                                MemorySegment y, int m, int rb) {
        final long xr = 4L * k;
        final long x0 = xr * t;
        FloatVector a0 = FloatVector.zero(FS);
        for (int v = 0; v < vecs; v++) {
            long xo = x0 + 4L * L * v;
            IntVector x0v = xv(x, xo);
            for (int q = 0; q < GPV; q++) {
                int at = base + 2 * (v * GPV + q) * L;
                IntVector p0 = positions(pos, at), p1 = positions(pos, at + L);
                FloatVector w0 = FloatVector.fromArray(FS, w, at), w1 = FloatVector.fromArray(FS, w, at + L);
                a0 = pick(p1, x0v).fma(w1, pick(p0, x0v).fma(w0, a0));
            }
        }
        final long yr = 4L * m;
        final long yo = yr * t + 4L * rb;
        a0.intoMemorySegment(y, yo, LE);
    }

    /** Adds groups [from, K/4) of rows [rb, rb + L) for every token, in scalar code (K not a multiple of L). */
    private static void tailGroups(MemorySegment vals, MemorySegment codes, boolean bf16, int k, MemorySegment x,
                                   int n, MemorySegment y, int m, int rb, int from) {
        for (int r = rb; r < rb + L; r++) {
            for (int t = 0; t < n; t++) {
                float acc = Sparse24Scalar.groups(vals, codes, bf16, k, r, from, x, 4L * k * t);
                long at = 4L * m * t + 4L * r;
                y.set(JF, at, y.get(JF, at) + acc);
            }
        }
    }
}
