package dev.spruce.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;

/**
 * Block-sparse GEMM for many tokens, Y (N x M) with y_n = S x_n, S in BSR.
 *
 * <p>The dense kernel's register tile ({@link DenseGemm}: 6 weight rows x 2 vectors of tokens, 12 accumulators)
 * run over a block row's kept blocks instead of over all of K: each kept block adds {@code bw} k-steps of 6
 * broadcasts (straight from the block, which is contiguous), 2 vector loads of the packed X^T at the block's
 * column, and 12 FMAs. So a dropped block costs nothing and a kept block costs its FMAs plus one column lookup: the
 * kernel's time follows the kept fraction (the 7x at 90% needs exactly that). The kept blocks are taken in
 * chunks of about {@code KC} columns; every row tile of the block row sweeps one chunk (its packed-X slices stay in
 * L1) with the accumulators in registers, parking them in a small L1 tile between chunks. Without the chunks each
 * row tile streamed the whole row's X^T from L2: 50% sparsity ran at 1.4x dense instead of about 1.9x.
 *
 * <p>Rows of a block row that do not fill a 6-row tile (bh = 16: 6+6+4, 32: 5x6+2, 64: 10x6+4) use the 4- or 2-row
 * version of the same tile, so no block row wastes more than one row's work (odd remainders repeat the last row,
 * result dropped). BF16 blocks are widened once per block row into a per-thread f32 copy (vector shift), so the
 * inner loop is the f32 one. The last token block uses the full 2-vector tile (its padding tokens are zeros in
 * the packed X and their results are dropped). Loaded once per vector width by {@link WidthSpecialized}.
 */
final class BlockSparseGemm implements BlockTileKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(BITS / 2));
    private static final int L = F.length();
    /** Tokens per packed block: two vectors (the dense kernel's packing). */
    private static final int NB = 2 * L;
    private static final int MR = 6;
    /** Columns per K-chunk: the KC x NB packed-X slice (16 KB at 512 bits) stays in L1; 128 measured best of 64-512. */
    private static final int KC = Integer.getInteger("spruce.block.kc", 128);
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat JF = ValueLayout.JAVA_FLOAT;
    private static final boolean FMA = VectorConstants.FAST_FMA;
    private static final Class<? extends Vector<Float>> EXACT = F.vectorType();

    BlockSparseGemm() {
    }

    @Override
    public String toString() {
        return "BlockSparseGemm[" + BITS + " bits]";
    }

    @Override
    public int blockTokens() {
        return NB;
    }

    @Override
    public void rows(MemorySegment vals, boolean bf16, int[] rowPtr, int[] cols, int bh, int bw, int m, int k,
                     float[] xt, int n, MemorySegment y, int i0, int i1) {
        int blocks = (n + NB - 1) / NB;
        long blockElems = (long) bh * bw;
        // Y^T partial sums of one block row and token block; MR spare rows take the clamped duplicates.
        float[] tile = PackBuffer.TILE_SUMS.get((long) (bh + MR) * NB);
        MemorySegment wide = null;
        if (bf16) {
            int most = 0;
            for (int i = i0; i < i1; i++) {
                most = Math.max(most, rowPtr[i + 1] - rowPtr[i]);
            }
            wide = Scratch.get(4L * Math.max(1, most) * blockElems);
        }
        long rowBytes = 4L * bw;
        int chunk = Math.max(1, KC / bw);
        for (int i = i0; i < i1; i++) {
            int p0 = rowPtr[i];
            int p1 = rowPtr[i + 1];
            MemorySegment src;
            long wb; // byte offset of block p0 in src
            if (bf16) {
                widenBf16(vals, p0 * blockElems, (p1 - p0) * blockElems, wide);
                src = wide;
                wb = 0;
            } else {
                src = vals;
                wb = 4L * p0 * blockElems;
            }
            long blockBytes = 4L * blockElems;
            for (int b = 0; b < blocks; b++) {
                int xb = b * k * NB;
                java.util.Arrays.fill(tile, 0, (bh + MR) * NB, 0f);
                // K-chunks of about KC columns: their packed-X slices (KC x NB floats) stay in L1 while every row
                // tile of the block row sweeps them; the sums wait in the (L1) tile between chunks.
                for (int c0 = p0; c0 < p1; c0 += chunk) {
                    int c1 = Math.min(p1, c0 + chunk);
                    long cb = wb + (c0 - p0) * blockBytes;
                    int r = 0;
                    for (; r + MR <= bh; r += MR) {
                        long o = rowBytes * r;
                        tile6(src, cb, blockBytes, o, o + rowBytes, o + 2 * rowBytes, o + 3 * rowBytes,
                                o + 4 * rowBytes, o + 5 * rowBytes, cols, c0, c1, bw, xt, xb, tile, r * NB);
                    }
                    int rem = bh - r;
                    long last = rowBytes * (bh - 1);
                    long o = rowBytes * r;
                    if (rem > 4) {
                        tile6(src, cb, blockBytes, o, o + rowBytes, o + 2 * rowBytes, o + 3 * rowBytes,
                                o + 4 * rowBytes, last, cols, c0, c1, bw, xt, xb, tile, r * NB);
                    } else if (rem > 2) {
                        tile4(src, cb, blockBytes, o, Math.min(o + rowBytes, last), Math.min(o + 2 * rowBytes, last),
                                Math.min(o + 3 * rowBytes, last), cols, c0, c1, bw, xt, xb, tile, r * NB);
                    } else if (rem > 0) {
                        tile2(src, cb, blockBytes, o, Math.min(o + rowBytes, last), cols, c0, c1, bw, xt, xb, tile,
                                r * NB);
                    }
                }
                int t0 = b * NB;
                int tokens = Math.min(NB, n - t0);
                int row0 = i * bh;
                for (int j = 0; j < tokens; j++) {
                    long yo = (long) (t0 + j) * m + row0;
                    for (int rr = 0; rr < bh; rr++) {
                        y.setAtIndex(JF, yo + rr, tile[rr * NB + j]);
                    }
                }
            }
        }
    }

    /** Widens {@code count} bf16 elements starting at element {@code from} of {@code vals} into f32 at 0 of {@code wide}. */
    private static void widenBf16(MemorySegment vals, long from, long count, MemorySegment wide) {
        long bound = count - count % L;
        long src = 2L * from;
        long i = 0;
        for (; i < bound; i += L) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, vals, src + 2L * i, NO)
                    .convertShape(VectorOperators.S2I, I, 0);
            h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoMemorySegment(wide, 4L * i, NO);
        }
        for (; i < count; i++) {
            short h = vals.get(ValueLayout.JAVA_SHORT, src + 2L * i);
            wide.set(JF, 4L * i, Float.intBitsToFloat((h & 0xffff) << 16));
        }
    }

    /**
     * a * b + c, cast to the species' exact vector class: the sums this feeds back are loop-carried, and C2 can
     * intrinsify an FMA whose accumulator is such a vector only when it knows that class, which a busy machine's
     * tier-2 compiles (no type profiles) do not tell it; without the cast the pass boxed in 2 of 76 JVMs started next
     * to two busy loops (2026-11-30; the same cure as {@link Sparse24Gemv}'s).
     */
    private static FloatVector fma(FloatVector a, FloatVector b, FloatVector c) {
        return (FloatVector) EXACT.cast(FMA ? a.fma(b, c) : a.mul(b).add(c));
    }

    private static FloatVector ld(float[] tile, int at) {
        return FloatVector.fromArray(F, tile, at);
    }

    private static FloatVector bc(MemorySegment w, long off) {
        return FloatVector.broadcast(F, w.get(JF, off));
    }

    /**
     * 6 rows at byte offsets o0..o5 inside each block x 2 token vectors, over blocks [p0, p1) of the block row;
     * adds to tile[a + row*NB + j] ( an offset repeated for a short tile gives a dropped duplicate).
     */
    private static void tile6(MemorySegment w, long wb, long blockBytes, long o0, long o1, long o2, long o3, long o4,
                              long o5, int[] cols, int p0, int p1, int bw, float[] xt, int xb, float[] tile, int a) {
        FloatVector c00 = ld(tile, a), c01 = ld(tile, a + L), c10 = ld(tile, a + NB), c11 = ld(tile, a + NB + L);
        FloatVector c20 = ld(tile, a + 2 * NB), c21 = ld(tile, a + 2 * NB + L);
        FloatVector c30 = ld(tile, a + 3 * NB), c31 = ld(tile, a + 3 * NB + L);
        FloatVector c40 = ld(tile, a + 4 * NB), c41 = ld(tile, a + 4 * NB + L);
        FloatVector c50 = ld(tile, a + 5 * NB), c51 = ld(tile, a + 5 * NB + L);
        for (int p = p0; p < p1; p++) {
            long base = wb + (p - p0) * blockBytes;
            int xi0 = xb + cols[p] * bw * NB;
            for (int kk = 0; kk < bw; kk++) {
                int xi = xi0 + kk * NB;
                FloatVector x0 = FloatVector.fromArray(F, xt, xi);
                FloatVector x1 = FloatVector.fromArray(F, xt, xi + L);
                long ko = base + 4L * kk;
                FloatVector v = bc(w, o0 + ko);
                c00 = fma(v, x0, c00);
                c01 = fma(v, x1, c01);
                v = bc(w, o1 + ko);
                c10 = fma(v, x0, c10);
                c11 = fma(v, x1, c11);
                v = bc(w, o2 + ko);
                c20 = fma(v, x0, c20);
                c21 = fma(v, x1, c21);
                v = bc(w, o3 + ko);
                c30 = fma(v, x0, c30);
                c31 = fma(v, x1, c31);
                v = bc(w, o4 + ko);
                c40 = fma(v, x0, c40);
                c41 = fma(v, x1, c41);
                v = bc(w, o5 + ko);
                c50 = fma(v, x0, c50);
                c51 = fma(v, x1, c51);
            }
        }
        c00.intoArray(tile, a);
        c01.intoArray(tile, a + L);
        c10.intoArray(tile, a + NB);
        c11.intoArray(tile, a + NB + L);
        c20.intoArray(tile, a + 2 * NB);
        c21.intoArray(tile, a + 2 * NB + L);
        c30.intoArray(tile, a + 3 * NB);
        c31.intoArray(tile, a + 3 * NB + L);
        c40.intoArray(tile, a + 4 * NB);
        c41.intoArray(tile, a + 4 * NB + L);
        c50.intoArray(tile, a + 5 * NB);
        c51.intoArray(tile, a + 5 * NB + L);
    }

    /** As {@link #tile6} for 4 rows at explicit offsets (the last may repeat: results past the block are dropped). */
    private static void tile4(MemorySegment w, long wb, long blockBytes, long o0, long o1, long o2, long o3, int[] cols,
                              int p0, int p1, int bw, float[] xt, int xb, float[] tile, int a) {
        FloatVector c00 = ld(tile, a), c01 = ld(tile, a + L), c10 = ld(tile, a + NB), c11 = ld(tile, a + NB + L);
        FloatVector c20 = ld(tile, a + 2 * NB), c21 = ld(tile, a + 2 * NB + L);
        FloatVector c30 = ld(tile, a + 3 * NB), c31 = ld(tile, a + 3 * NB + L);
        for (int p = p0; p < p1; p++) {
            long base = wb + (p - p0) * blockBytes;
            int xi0 = xb + cols[p] * bw * NB;
            for (int kk = 0; kk < bw; kk++) {
                int xi = xi0 + kk * NB;
                FloatVector x0 = FloatVector.fromArray(F, xt, xi);
                FloatVector x1 = FloatVector.fromArray(F, xt, xi + L);
                long ko = base + 4L * kk;
                FloatVector v = bc(w, o0 + ko);
                c00 = fma(v, x0, c00);
                c01 = fma(v, x1, c01);
                v = bc(w, o1 + ko);
                c10 = fma(v, x0, c10);
                c11 = fma(v, x1, c11);
                v = bc(w, o2 + ko);
                c20 = fma(v, x0, c20);
                c21 = fma(v, x1, c21);
                v = bc(w, o3 + ko);
                c30 = fma(v, x0, c30);
                c31 = fma(v, x1, c31);
            }
        }
        c00.intoArray(tile, a);
        c01.intoArray(tile, a + L);
        c10.intoArray(tile, a + NB);
        c11.intoArray(tile, a + NB + L);
        c20.intoArray(tile, a + 2 * NB);
        c21.intoArray(tile, a + 2 * NB + L);
        c30.intoArray(tile, a + 3 * NB);
        c31.intoArray(tile, a + 3 * NB + L);
    }

    /** As {@link #tile4} for 2 rows. */
    private static void tile2(MemorySegment w, long wb, long blockBytes, long o0, long o1, int[] cols, int p0, int p1,
                              int bw, float[] xt, int xb, float[] tile, int a) {
        FloatVector c00 = ld(tile, a), c01 = ld(tile, a + L), c10 = ld(tile, a + NB), c11 = ld(tile, a + NB + L);
        for (int p = p0; p < p1; p++) {
            long base = wb + (p - p0) * blockBytes;
            int xi0 = xb + cols[p] * bw * NB;
            for (int kk = 0; kk < bw; kk++) {
                int xi = xi0 + kk * NB;
                FloatVector x0 = FloatVector.fromArray(F, xt, xi);
                FloatVector x1 = FloatVector.fromArray(F, xt, xi + L);
                long ko = base + 4L * kk;
                FloatVector v = bc(w, o0 + ko);
                c00 = fma(v, x0, c00);
                c01 = fma(v, x1, c01);
                v = bc(w, o1 + ko);
                c10 = fma(v, x0, c10);
                c11 = fma(v, x1, c11);
            }
        }
        c00.intoArray(tile, a);
        c01.intoArray(tile, a + L);
        c10.intoArray(tile, a + NB);
        c11.intoArray(tile, a + NB + L);
    }
}
