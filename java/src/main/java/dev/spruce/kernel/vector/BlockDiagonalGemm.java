package dev.spruce.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;

/**
 * Products with a block-diagonal matrix (ARMOR's A and B), in two forms.
 *
 * <p>Any bs ({@link #dots}): each block row is a dot product with the token's bs-wide slab; four rows share each
 * activation load. It pays one horizontal lane sum per output, so it is the fallback for bs below or not a
 * multiple of the vector lanes (bs 4 or 8 at 512 bits).
 *
 * <p>When bs is a multiple of the lanes ({@link #outer}), the blocks are read transposed (the layout's cached
 * column-major copy): outputs accumulate as y_slab += D_b[:, c] * x[c] with no horizontal sums at all. One token
 * keeps 4L outputs in 4 registers (per input: 4 column loads, 1 broadcast, 4 FMAs); four tokens keep 4 x 2L in 8
 * (2 loads, 4 broadcasts, 8 FMAs: a small blocked GEMM, bs x bs block times an N x bs slab; the 2L-wide column
 * strip in use stays in L1).
 *
 * <p>One loop per shape (4 or 1 tokens, 2 or 1 vectors): C2 inlines the Vector API calls only in small loops
 * (see {@link Sparse24Gemv}). Loaded once per vector width by {@link WidthSpecialized}.
 */
final class BlockDiagonalGemm implements BlockDiagonalKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final int L = FS.length();
    private static final VectorShuffle<Float> SWAP8 = LaneSum.swap(FS, 8);
    private static final VectorShuffle<Float> SWAP4 = LaneSum.swap(FS, 4);
    private static final VectorShuffle<Float> SWAP2 = LaneSum.swap(FS, 2);
    private static final VectorShuffle<Float> SWAP1 = LaneSum.swap(FS, 1);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat JF = ValueLayout.JAVA_FLOAT;

    BlockDiagonalGemm() {
    }

    private static float sum(FloatVector v) {
        return LaneSum.sum(v, SWAP8, SWAP4, SWAP2, SWAP1);
    }

    @Override
    public int lanes() {
        return L;
    }

    @Override
    public String toString() {
        return "BlockDiagonalGemm[" + BITS + " bits]";
    }

    // ---------------------------------------------------------------- dot-product form

    @Override
    public void dots(MemorySegment d, int n, int bs, MemorySegment in, MemorySegment out, MemorySegment bias,
                     int t0, int t1, int b0, int b1) {
        final int vec = bs / L * L;
        for (int b = b0; b < b1; b++) {
            final long blk = 4L * b * bs * bs;
            final int base = b * bs;
            for (int t = t0; t < t1; t++) {
                final long xo = 4L * ((long) t * n + base);
                int r = 0;
                for (; r + 4 <= bs; r += 4) {
                    fourRows(d, blk, bs, vec, in, xo, out, bias, base, r);
                }
                for (; r < bs; r++) {
                    oneRow(d, blk, bs, vec, in, xo, out, bias, base, r);
                }
            }
        }
    }

    /** Rows r..r+3 of the block at byte blk against the slab at byte xo; results at the same offsets in out. */
    private static void fourRows(MemorySegment d, long blk, int bs, int vec, MemorySegment in, long xo,
                                 MemorySegment out, MemorySegment bias, int base, int r) {
        final long rowBytes = 4L * bs;
        final long w0 = blk + r * rowBytes;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        // Two k-steps in flight per row (8 independent FMA chains), as in DenseGemv: with one step the FMA
        // latency, not the weight stream, bounded a 128-wide block (measured 1.5x slower than DenseGemv per byte).
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        int c = 0;
        for (; c + 2 * L <= vec; c += 2 * L) {
            FloatVector x = FloatVector.fromMemorySegment(FS, in, xo + 4L * c, LE);
            FloatVector x2 = FloatVector.fromMemorySegment(FS, in, xo + 4L * (c + L), LE);
            long wc = w0 + 4L * c;
            long wd = wc + 4L * L;
            a0 = FloatVector.fromMemorySegment(FS, d, wc, LE).fma(x, a0);
            a1 = FloatVector.fromMemorySegment(FS, d, wc + rowBytes, LE).fma(x, a1);
            a2 = FloatVector.fromMemorySegment(FS, d, wc + 2 * rowBytes, LE).fma(x, a2);
            a3 = FloatVector.fromMemorySegment(FS, d, wc + 3 * rowBytes, LE).fma(x, a3);
            b0 = FloatVector.fromMemorySegment(FS, d, wd, LE).fma(x2, b0);
            b1 = FloatVector.fromMemorySegment(FS, d, wd + rowBytes, LE).fma(x2, b1);
            b2 = FloatVector.fromMemorySegment(FS, d, wd + 2 * rowBytes, LE).fma(x2, b2);
            b3 = FloatVector.fromMemorySegment(FS, d, wd + 3 * rowBytes, LE).fma(x2, b3);
        }
        if (c < vec) {
            FloatVector x = FloatVector.fromMemorySegment(FS, in, xo + 4L * c, LE);
            long wc = w0 + 4L * c;
            a0 = FloatVector.fromMemorySegment(FS, d, wc, LE).fma(x, a0);
            a1 = FloatVector.fromMemorySegment(FS, d, wc + rowBytes, LE).fma(x, a1);
            a2 = FloatVector.fromMemorySegment(FS, d, wc + 2 * rowBytes, LE).fma(x, a2);
            a3 = FloatVector.fromMemorySegment(FS, d, wc + 3 * rowBytes, LE).fma(x, a3);
        }
        float s0 = sum(a0.add(b0));
        float s1 = sum(a1.add(b1));
        float s2 = sum(a2.add(b2));
        float s3 = sum(a3.add(b3));
        for (c = vec; c < bs; c++) {
            float x = in.get(JF, xo + 4L * c);
            long wc = w0 + 4L * c;
            s0 += d.get(JF, wc) * x;
            s1 += d.get(JF, wc + rowBytes) * x;
            s2 += d.get(JF, wc + 2 * rowBytes) * x;
            s3 += d.get(JF, wc + 3 * rowBytes) * x;
        }
        store(out, xo, r, s0, bias, base);
        store(out, xo, r + 1, s1, bias, base);
        store(out, xo, r + 2, s2, bias, base);
        store(out, xo, r + 3, s3, bias, base);
    }

    private static void oneRow(MemorySegment d, long blk, int bs, int vec, MemorySegment in, long xo,
                               MemorySegment out, MemorySegment bias, int base, int r) {
        final long w0 = blk + 4L * r * bs;
        FloatVector a0 = FloatVector.zero(FS);
        for (int c = 0; c < vec; c += L) {
            a0 = FloatVector.fromMemorySegment(FS, d, w0 + 4L * c, LE)
                    .fma(FloatVector.fromMemorySegment(FS, in, xo + 4L * c, LE), a0);
        }
        float s0 = sum(a0);
        for (int c = vec; c < bs; c++) {
            s0 += d.get(JF, w0 + 4L * c) * in.get(JF, xo + 4L * c);
        }
        store(out, xo, r, s0, bias, base);
    }

    private static void store(MemorySegment out, long xo, int r, float v, MemorySegment bias, int base) {
        if (bias != null) {
            v += bias.getAtIndex(JF, base + r);
        }
        out.set(JF, xo + 4L * r, v);
    }

    // ---------------------------------------------------------------- broadcast (axpy / GEMM) form

    @Override
    public void outer(MemorySegment dt, int n, int bs, MemorySegment in, MemorySegment out, MemorySegment bias,
                      int t0, int t1, int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            final long blk = 4L * b * bs * bs;
            final int base = b * bs;
            int t = t0;
            for (; t + 4 <= t1; t += 4) {
                int rv = 0;
                for (; rv + 2 * L <= bs; rv += 2 * L) {
                    fourTokensTwoVectors(dt, blk, bs, n, in, out, bias, base, rv, t);
                }
                for (int j = 0; j < 4 && rv < bs; j++) { // one vector left: bs/L is odd
                    oneTokenOneVector(dt, blk, bs, n, in, out, bias, base, rv, t + j);
                }
            }
            for (; t < t1; t++) {
                int rv = 0;
                for (; rv + 4 * L <= bs; rv += 4 * L) {
                    oneTokenFourVectors(dt, blk, bs, n, in, out, bias, base, rv, t);
                }
                for (; rv < bs; rv += L) {
                    oneTokenOneVector(dt, blk, bs, n, in, out, bias, base, rv, t);
                }
            }
        }
    }

    private static FloatVector biasVector(MemorySegment bias, int at) {
        return bias == null ? FloatVector.zero(FS) : FloatVector.fromMemorySegment(FS, bias, 4L * at, LE);
    }

    /** Outputs rv..rv+2L of tokens t..t+3: per input c, 2 column loads, 4 broadcasts, 8 FMAs. */
    private static void fourTokensTwoVectors(MemorySegment dt, long blk, int bs, int n, MemorySegment in,
                                             MemorySegment out, MemorySegment bias, int base, int rv, int t) {
        final long row = 4L * n;
        final long x0 = row * t + 4L * base;
        final long col = 4L * bs;
        FloatVector c0 = biasVector(bias, base + rv);
        FloatVector c1 = biasVector(bias, base + rv + L);
        FloatVector a00 = c0;
        FloatVector a01 = c1;
        FloatVector a10 = c0;
        FloatVector a11 = c1;
        FloatVector a20 = c0;
        FloatVector a21 = c1;
        FloatVector a30 = c0;
        FloatVector a31 = c1;
        long w = blk + 4L * rv;
        for (int c = 0; c < bs; c++, w += col) {
            FloatVector w0 = FloatVector.fromMemorySegment(FS, dt, w, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(FS, dt, w + 4L * L, LE);
            long xc = x0 + 4L * c;
            FloatVector v0 = FloatVector.broadcast(FS, in.get(JF, xc));
            FloatVector v1 = FloatVector.broadcast(FS, in.get(JF, xc + row));
            FloatVector v2 = FloatVector.broadcast(FS, in.get(JF, xc + 2 * row));
            FloatVector v3 = FloatVector.broadcast(FS, in.get(JF, xc + 3 * row));
            a00 = w0.fma(v0, a00);
            a01 = w1.fma(v0, a01);
            a10 = w0.fma(v1, a10);
            a11 = w1.fma(v1, a11);
            a20 = w0.fma(v2, a20);
            a21 = w1.fma(v2, a21);
            a30 = w0.fma(v3, a30);
            a31 = w1.fma(v3, a31);
        }
        long y0 = x0 + 4L * rv;
        a00.intoMemorySegment(out, y0, LE);
        a01.intoMemorySegment(out, y0 + 4L * L, LE);
        a10.intoMemorySegment(out, y0 + row, LE);
        a11.intoMemorySegment(out, y0 + row + 4L * L, LE);
        a20.intoMemorySegment(out, y0 + 2 * row, LE);
        a21.intoMemorySegment(out, y0 + 2 * row + 4L * L, LE);
        a30.intoMemorySegment(out, y0 + 3 * row, LE);
        a31.intoMemorySegment(out, y0 + 3 * row + 4L * L, LE);
    }

    /** Outputs rv..rv+4L of token t: per input c, 4 column loads, 1 broadcast, 4 FMAs (the batch-1 form). */
    private static void oneTokenFourVectors(MemorySegment dt, long blk, int bs, int n, MemorySegment in,
                                            MemorySegment out, MemorySegment bias, int base, int rv, int t) {
        final long x0 = 4L * n * t + 4L * base;
        final long col = 4L * bs;
        FloatVector a0 = biasVector(bias, base + rv);
        FloatVector a1 = biasVector(bias, base + rv + L);
        FloatVector a2 = biasVector(bias, base + rv + 2 * L);
        FloatVector a3 = biasVector(bias, base + rv + 3 * L);
        long w = blk + 4L * rv;
        for (int c = 0; c < bs; c++, w += col) {
            FloatVector v = FloatVector.broadcast(FS, in.get(JF, x0 + 4L * c));
            a0 = FloatVector.fromMemorySegment(FS, dt, w, LE).fma(v, a0);
            a1 = FloatVector.fromMemorySegment(FS, dt, w + 4L * L, LE).fma(v, a1);
            a2 = FloatVector.fromMemorySegment(FS, dt, w + 8L * L, LE).fma(v, a2);
            a3 = FloatVector.fromMemorySegment(FS, dt, w + 12L * L, LE).fma(v, a3);
        }
        long y0 = x0 + 4L * rv;
        a0.intoMemorySegment(out, y0, LE);
        a1.intoMemorySegment(out, y0 + 4L * L, LE);
        a2.intoMemorySegment(out, y0 + 8L * L, LE);
        a3.intoMemorySegment(out, y0 + 12L * L, LE);
    }

    private static void oneTokenOneVector(MemorySegment dt, long blk, int bs, int n, MemorySegment in,
                                          MemorySegment out, MemorySegment bias, int base, int rv, int t) {
        final long x0 = 4L * n * t + 4L * base;
        final long col = 4L * bs;
        FloatVector a0 = biasVector(bias, base + rv);
        long w = blk + 4L * rv;
        for (int c = 0; c < bs; c++, w += col) {
            FloatVector v = FloatVector.broadcast(FS, in.get(JF, x0 + 4L * c));
            a0 = FloatVector.fromMemorySegment(FS, dt, w, LE).fma(v, a0);
        }
        a0.intoMemorySegment(out, x0 + 4L * rv, LE);
    }
}
