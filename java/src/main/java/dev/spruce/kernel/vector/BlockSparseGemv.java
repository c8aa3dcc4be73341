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
 * GEMV, so the order is set by the memory stream: a block row's kept blocks are read in BSR order, each block's rows
 * in order, i.e. one forward stream of exactly the kept values (the dropped ones are never read). Four rows of a
 * block share each load of x; every (token, row) keeps a vector of partial sums in a small L1 array across the block
 * row, and its lanes are summed once at the end ({@link LaneSum}'s fixed order). BF16 blocks are widened in
 * registers. A block width that is not a multiple of the vector length adds a scalar tail per block (odd test sizes
 * only; 16/32/64 are multiples of every width up to 512 bits). Rows past the block row's end repeat its last row,
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
    /** Bytes of kept blocks swept together (L1-resident while every row group and token passes over them). */
    private static final long CHUNK_BYTES = Long.getLong("spruce.block.gemvChunkBytes", 16 << 10);

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
        int rows4 = (bh + 3) / 4 * 4;
        // Per (token, row) vector partial sums of one block row (lanes summed at the end), plus scalar sums of the
        // columns a block width that is not a multiple of L leaves over; rows padded to a multiple of 4.
        float[] acc = PackBuffer.TILE_SUMS.get((long) n * rows4 * L);
        float[] tail = new float[n * rows4];
        int chunk = (int) Math.max(1, CHUNK_BYTES / blockBytes);
        for (int i = i0; i < i1; i++) {
            java.util.Arrays.fill(acc, 0, n * rows4 * L, 0f);
            java.util.Arrays.fill(tail, 0f);
            // Chunks of kept blocks of about CHUNK_BYTES (L1), each swept by every 4-row group and token with the
            // sums in registers: the block row is read as a few interleaved forward streams (one per block of the
            // chunk), which the prefetchers follow. Measured 2026-11-30 (4096x4096, 32x32 blocks, 50%, one thread,
            // CPU time on a busy machine): a 4-row group walking all of a row's 64 blocks gave 1.2-1.3x dense at
            // batch 1 and 8; one block at a time (sums parked in L1 per block) 1.2-1.3x; these chunks 1.7x.
            int p1 = rowPtr[i + 1];
            for (int c0 = rowPtr[i]; c0 < p1; c0 += chunk) {
                int c1 = Math.min(p1, c0 + chunk);
                for (int r = 0; r < bh; r += 4) {
                    long o0 = rowBytes * r;
                    long o1 = Math.min(rowBytes * (r + 1), last);
                    long o2 = Math.min(rowBytes * (r + 2), last);
                    long o3 = Math.min(rowBytes * (r + 3), last);
                    for (int t = 0; t < n; t++) {
                        int a = (t * rows4 + r) * L;
                        long xo = 4L * k * t;
                        if (bf16) {
                            chunk4Bf16(vals, blockBytes, o0, o1, o2, o3, cols, c0, c1, bw, x, xo, acc, a, tail,
                                    t * rows4 + r);
                        } else {
                            chunk4F32(vals, blockBytes, o0, o1, o2, o3, cols, c0, c1, bw, x, xo, acc, a, tail,
                                    t * rows4 + r);
                        }
                    }
                }
            }
            for (int t = 0; t < n; t++) {
                long yo = (long) t * m + (long) i * bh;
                for (int r = 0; r < bh; r++) {
                    int a = t * rows4 + r;
                    y.setAtIndex(JF, yo + r, sum(FloatVector.fromArray(F, acc, a * L)) + tail[a]);
                }
            }
        }
    }

    /**
     * acc rows a, a+L, a+2L, a+3L += rows o0..o3 (byte offsets inside a block) of blocks [c0, c1) times the token's x
     * (byte offset xo) at each block's column; F32 values.
     */
    private static void chunk4F32(MemorySegment w, long blockBytes, long o0, long o1, long o2, long o3, int[] cols,
                                  int c0, int c1, int bw, MemorySegment x, long xo, float[] acc, int a, float[] tail,
                                  int ta) {
        FloatVector a0 = FloatVector.fromArray(F, acc, a);
        FloatVector a1 = FloatVector.fromArray(F, acc, a + L);
        FloatVector a2 = FloatVector.fromArray(F, acc, a + 2 * L);
        FloatVector a3 = FloatVector.fromArray(F, acc, a + 3 * L);
        int bound = bw - bw % L;
        for (int p = c0; p < c1; p++) {
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
                tail[ta] += w.get(JF, o0 + wo) * xv;
                tail[ta + 1] += w.get(JF, o1 + wo) * xv;
                tail[ta + 2] += w.get(JF, o2 + wo) * xv;
                tail[ta + 3] += w.get(JF, o3 + wo) * xv;
            }
        }
        a0.intoArray(acc, a);
        a1.intoArray(acc, a + L);
        a2.intoArray(acc, a + 2 * L);
        a3.intoArray(acc, a + 3 * L);
    }

    /** As {@link #chunk4F32} for BF16 values. */
    private static void chunk4Bf16(MemorySegment w, long blockBytes, long o0, long o1, long o2, long o3, int[] cols,
                                   int c0, int c1, int bw, MemorySegment x, long xo, float[] acc, int a, float[] tail,
                                   int ta) {
        FloatVector a0 = FloatVector.fromArray(F, acc, a);
        FloatVector a1 = FloatVector.fromArray(F, acc, a + L);
        FloatVector a2 = FloatVector.fromArray(F, acc, a + 2 * L);
        FloatVector a3 = FloatVector.fromArray(F, acc, a + 3 * L);
        int bound = bw - bw % L;
        for (int p = c0; p < c1; p++) {
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
                tail[ta] += bf16At(w, o0 + wo) * xv;
                tail[ta + 1] += bf16At(w, o1 + wo) * xv;
                tail[ta + 2] += bf16At(w, o2 + wo) * xv;
                tail[ta + 3] += bf16At(w, o3 + wo) * xv;
            }
        }
        a0.intoArray(acc, a);
        a1.intoArray(acc, a + L);
        a2.intoArray(acc, a + 2 * L);
        a3.intoArray(acc, a + 3 * L);
    }

    private static FloatVector fma(FloatVector a, FloatVector b, FloatVector c) {
        return FMA ? a.fma(b, c) : a.mul(b).add(c);
    }

    private static float sum(FloatVector v) {
        return LaneSum.sum(v, SWAP8, SWAP4, SWAP2, SWAP1);
    }

    /** One vector of bf16 values widened to float: bf16 is the high half of a float32, so a shift is exact. */
    private static FloatVector bf16(MemorySegment w, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off, NO).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static float bf16At(MemorySegment w, long off) {
        return Float.intBitsToFloat((w.get(JS, off) & 0xffff) << 16);
    }
}
