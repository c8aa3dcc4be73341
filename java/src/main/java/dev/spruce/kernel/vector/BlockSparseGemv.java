package dev.spruce.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;

/**
 * Block-sparse GEMV (and GEMM for a few tokens) as dot products over the kept blocks. Memory-bound like the dense
 * GEMV: the kept blocks stream once (per token, from L1/L2 after the first), the dropped ones are never read. Four
 * rows of a block row share each load of x: for every kept block, each of its {@code bw/L} vector steps loads one
 * vector of x at the block's column and one vector of each row, with one accumulator per row for the whole block
 * row (lanes summed once at the end, in {@link LaneSum}'s fixed order). BF16 blocks are widened in registers.
 * A block width that is not a multiple of the vector length adds a scalar tail per block (odd test sizes only;
 * 16/32/64 are multiples of every width up to 512 bits). Rows past the block row's end repeat its last row,
 * results dropped. Loaded once per vector width by {@link WidthSpecialized}.
 */
final class BlockSparseGemv implements BlockDotKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(BITS / 2));
    private static final int L = F.length();
    private static final VectorShuffle<Float> SWAP8 = LaneSum.swap(F, 8);
    private static final VectorShuffle<Float> SWAP4 = LaneSum.swap(F, 4);
    private static final VectorShuffle<Float> SWAP2 = LaneSum.swap(F, 2);
    private static final VectorShuffle<Float> SWAP1 = LaneSum.swap(F, 1);
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat JF = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfShort JS = ValueLayout.JAVA_SHORT;
    private static final boolean FMA = VectorConstants.FAST_FMA;

    BlockSparseGemv() {
    }

    @Override
    public String toString() {
        return "BlockSparseGemv[" + BITS + " bits]";
    }

    @Override
    public void rows(MemorySegment vals, boolean bf16, int[] rowPtr, int[] cols, int bh, int bw, int m, int k,
                     MemorySegment x, int n, MemorySegment y, int i0, int i1) {
        long eb = bf16 ? 2 : 4;
        long rowBytes = eb * bw;
        long blockBytes = rowBytes * bh;
        long last = rowBytes * (bh - 1);
        for (int i = i0; i < i1; i++) {
            int p0 = rowPtr[i];
            int p1 = rowPtr[i + 1];
            for (int r = 0; r < bh; r += 4) {
                long o0 = rowBytes * r;
                long o1 = Math.min(o0 + rowBytes, last);
                long o2 = Math.min(o0 + 2 * rowBytes, last);
                long o3 = Math.min(o0 + 3 * rowBytes, last);
                int valid = Math.min(4, bh - r);
                for (int t = 0; t < n; t++) {
                    long xo = 4L * k * t;
                    long yo = 4L * ((long) t * m + (long) i * bh + r);
                    if (bf16) {
                        dot4Bf16(vals, blockBytes, o0, o1, o2, o3, cols, p0, p1, bw, x, xo, y, yo, valid);
                    } else {
                        dot4F32(vals, blockBytes, o0, o1, o2, o3, cols, p0, p1, bw, x, xo, y, yo, valid);
                    }
                }
            }
        }
    }

    private static FloatVector fma(FloatVector a, FloatVector b, FloatVector c) {
        return FMA ? a.fma(b, c) : a.mul(b).add(c);
    }

    private static float sum(FloatVector v) {
        return LaneSum.sum(v, SWAP8, SWAP4, SWAP2, SWAP1);
    }

    private static void store(MemorySegment y, long yo, int valid, float s0, float s1, float s2, float s3) {
        y.set(JF, yo, s0);
        if (valid > 1) {
            y.set(JF, yo + 4, s1);
        }
        if (valid > 2) {
            y.set(JF, yo + 8, s2);
        }
        if (valid > 3) {
            y.set(JF, yo + 12, s3);
        }
    }

    /** 4 rows (byte offsets o0..o3 inside a block) . x over kept blocks [p0, p1), F32 values. */
    private static void dot4F32(MemorySegment w, long blockBytes, long o0, long o1, long o2, long o3, int[] cols,
                                int p0, int p1, int bw, MemorySegment x, long xo, MemorySegment y, long yo, int valid) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int bound = bw - bw % L;
        for (int p = p0; p < p1; p++) {
            long base = p * blockBytes;
            long xc = xo + 4L * cols[p] * bw;
            int c = 0;
            for (; c < bound; c += L) {
                FloatVector xv = FloatVector.fromMemorySegment(F, x, xc + 4L * c, NO);
                long wo = base + 4L * c;
                a0 = fma(FloatVector.fromMemorySegment(F, w, o0 + wo, NO), xv, a0);
                a1 = fma(FloatVector.fromMemorySegment(F, w, o1 + wo, NO), xv, a1);
                a2 = fma(FloatVector.fromMemorySegment(F, w, o2 + wo, NO), xv, a2);
                a3 = fma(FloatVector.fromMemorySegment(F, w, o3 + wo, NO), xv, a3);
            }
            for (; c < bw; c++) {
                float xv = x.get(JF, xc + 4L * c);
                long wo = base + 4L * c;
                s0 += w.get(JF, o0 + wo) * xv;
                s1 += w.get(JF, o1 + wo) * xv;
                s2 += w.get(JF, o2 + wo) * xv;
                s3 += w.get(JF, o3 + wo) * xv;
            }
        }
        store(y, yo, valid, sum(a0) + s0, sum(a1) + s1, sum(a2) + s2, sum(a3) + s3);
    }

    /** One vector of bf16 values widened to float: bf16 is the high half of a float32, so a shift is exact. */
    private static FloatVector bf16(MemorySegment w, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off, NO).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static float bf16At(MemorySegment w, long off) {
        return Float.intBitsToFloat((w.get(JS, off) & 0xffff) << 16);
    }

    /** As {@link #dot4F32} for BF16 values. */
    private static void dot4Bf16(MemorySegment w, long blockBytes, long o0, long o1, long o2, long o3, int[] cols,
                                 int p0, int p1, int bw, MemorySegment x, long xo, MemorySegment y, long yo, int valid) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int bound = bw - bw % L;
        for (int p = p0; p < p1; p++) {
            long base = p * blockBytes;
            long xc = xo + 4L * cols[p] * bw;
            int c = 0;
            for (; c < bound; c += L) {
                FloatVector xv = FloatVector.fromMemorySegment(F, x, xc + 4L * c, NO);
                long wo = base + 2L * c;
                a0 = fma(bf16(w, o0 + wo), xv, a0);
                a1 = fma(bf16(w, o1 + wo), xv, a1);
                a2 = fma(bf16(w, o2 + wo), xv, a2);
                a3 = fma(bf16(w, o3 + wo), xv, a3);
            }
            for (; c < bw; c++) {
                float xv = x.get(JF, xc + 4L * c);
                long wo = base + 2L * c;
                s0 += bf16At(w, o0 + wo) * xv;
                s1 += bf16At(w, o1 + wo) * xv;
                s2 += bf16At(w, o2 + wo) * xv;
                s3 += bf16At(w, o3 + wo) * xv;
            }
        }
        store(y, yo, valid, sum(a0) + s0, sum(a1) + s1, sum(a2) + s2, sum(a3) + s3);
    }
}
