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
 * <p>Few tokens ({@link #dots}): each block row is a dot product with the token's bs-wide slab; four rows share
 * each activation load. The block streams from L2 (bs=128: 64 KB) once per token, and for one token the wrappers
 * are a few percent of the 2:4 core's bytes, so this form needs no packing at all.
 *
 * <p>Many tokens ({@link #outer}): the block is transposed once into a heap scratch (bs*bs floats: column c of
 * the block becomes contiguous), then every 4 tokens x 2L outputs accumulate in 8 registers while c walks the
 * block: per step 2 vector loads, 4 broadcasts, 8 FMAs, the shape of a small blocked GEMM (bs x bs block times
 * an N x bs slab). The transposed block (bs*2L*4 bytes per output pair in use) stays in L1.
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
        for (int c = 0; c < vec; c += L) {
            FloatVector x = FloatVector.fromMemorySegment(FS, in, xo + 4L * c, LE);
            long wc = w0 + 4L * c;
            a0 = FloatVector.fromMemorySegment(FS, d, wc, LE).fma(x, a0);
            a1 = FloatVector.fromMemorySegment(FS, d, wc + rowBytes, LE).fma(x, a1);
            a2 = FloatVector.fromMemorySegment(FS, d, wc + 2 * rowBytes, LE).fma(x, a2);
            a3 = FloatVector.fromMemorySegment(FS, d, wc + 3 * rowBytes, LE).fma(x, a3);
        }
        float s0 = sum(a0);
        float s1 = sum(a1);
        float s2 = sum(a2);
        float s3 = sum(a3);
        for (int c = vec; c < bs; c++) {
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

    // ---------------------------------------------------------------- broadcast (GEMM) form

    @Override
    public void outer(MemorySegment d, int n, int bs, MemorySegment in, MemorySegment out, MemorySegment bias,
                      int t0, int t1, int b0, int b1, float[] dt) {
        for (int b = b0; b < b1; b++) {
            final long blk = (long) b * bs * bs;
            for (int r = 0; r < bs; r++) {
                for (int c = 0; c < bs; c++) {
                    dt[c * bs + r] = d.getAtIndex(JF, blk + (long) r * bs + c);
                }
            }
            final int base = b * bs;
            int rv = 0;
            for (; rv + 2 * L <= bs; rv += 2 * L) {
                int t = t0;
                for (; t + 4 <= t1; t += 4) {
                    fourTokensTwoVectors(dt, bs, n, in, out, bias, base, rv, t);
                }
                for (; t < t1; t++) {
                    oneTokenTwoVectors(dt, bs, n, in, out, bias, base, rv, t);
                }
            }
            if (rv < bs) { // one vector left: bs/L is odd
                for (int t = t0; t < t1; t++) {
                    oneTokenOneVector(dt, bs, n, in, out, bias, base, rv, t);
                }
            }
        }
    }

    private static FloatVector biasVector(MemorySegment bias, int at) {
        return bias == null ? FloatVector.zero(FS) : FloatVector.fromMemorySegment(FS, bias, 4L * at, LE);
    }

    private static void fourTokensTwoVectors(float[] dt, int bs, int n, MemorySegment in, MemorySegment out,
                                             MemorySegment bias, int base, int rv, int t) {
        final long row = 4L * n;
        final long x0 = row * t + 4L * base;
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
        for (int c = 0; c < bs; c++) {
            int w = c * bs + rv;
            FloatVector w0 = FloatVector.fromArray(FS, dt, w);
            FloatVector w1 = FloatVector.fromArray(FS, dt, w + L);
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

    private static void oneTokenTwoVectors(float[] dt, int bs, int n, MemorySegment in, MemorySegment out,
                                           MemorySegment bias, int base, int rv, int t) {
        final long x0 = 4L * n * t + 4L * base;
        FloatVector a0 = biasVector(bias, base + rv);
        FloatVector a1 = biasVector(bias, base + rv + L);
        for (int c = 0; c < bs; c++) {
            int w = c * bs + rv;
            FloatVector v = FloatVector.broadcast(FS, in.get(JF, x0 + 4L * c));
            a0 = FloatVector.fromArray(FS, dt, w).fma(v, a0);
            a1 = FloatVector.fromArray(FS, dt, w + L).fma(v, a1);
        }
        long y0 = x0 + 4L * rv;
        a0.intoMemorySegment(out, y0, LE);
        a1.intoMemorySegment(out, y0 + 4L * L, LE);
    }

    private static void oneTokenOneVector(float[] dt, int bs, int n, MemorySegment in, MemorySegment out,
                                          MemorySegment bias, int base, int rv, int t) {
        final long x0 = 4L * n * t + 4L * base;
        FloatVector a0 = biasVector(bias, base + rv);
        for (int c = 0; c < bs; c++) {
            FloatVector v = FloatVector.broadcast(FS, in.get(JF, x0 + 4L * c));
            a0 = FloatVector.fromArray(FS, dt, c * bs + rv).fma(v, a0);
        }
        a0.intoMemorySegment(out, x0 + 4L * rv, LE);
    }
}
