package dev.spruce.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;

/**
 * Register-blocked dense GEMM, Y (N x M) with y_n = W x_n.
 *
 * <p>Shape of the computation: the kernel works on Y<sup>T</sup> tiles of 6 weight rows x 2 vectors of
 * tokens, 12 accumulators in registers for the whole K loop. Each k-step broadcasts 6 weights straight
 * from W (broadcast-from-memory is a pure load, no shuffle port) and loads 2 vectors from the packed,
 * transposed X, then does 12 FMAs: FMA-bound, not load-bound. Only X is packed (N*K elements, amortised
 * over M rows); W, the big operand, is read in place, so there is no per-call transpose of the weights.
 *
 * <p>Cache blocking: rows are taken in super-blocks of about 768 KB of weights, which stay in L2 while
 * every token block streams past them; so W is read from memory once per call and the packed X once
 * per super-block. Inside a super-block K is cut into blocks of {@code KC} so the KC x NB sub-panel of
 * packed X stays in L1 while all the super-block's tiles sweep over it; the tiles' partial sums live in
 * a small Y<sup>T</sup> scratch (whole-vector loads/stores once per K-block) and are transposed into Y
 * once. Measured here (2026-11-30, shared machine): the inner loop compiles to 6 memory broadcasts,
 * 2 vector loads and 12 FMAs with no bounds checks; an 8-row tile exceeds C2's inlining node budget
 * (NodeCountInliningCutoff) and falls back to boxed vectors, 40x slower, so 6 rows is the ceiling. 16-bit weights are widened into a per-thread f32 copy of the super-block once
 * (vector conversion), so the inner loop is the same f32 kernel for every dtype.
 *
 * <p>Tails: the last token block may use the one-vector kernel, and rows beyond the range repeat the
 * last valid row (results dropped), so there are only two kernels. Loaded once per vector width by
 * {@link WidthSpecialized}.
 */
final class DenseGemm implements TileKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(BITS / 2));
    private static final int L = F.length();
    /** Tokens per packed block: two vectors. */
    private static final int NB = 2 * L;
    /** Weight rows per register tile. */
    static final int MR = 6;
    private static final long SUPER_BLOCK_BYTES = 768L * 1024;
    /** K-block: a KC x NB packed-X sub-panel (32 KB at 512 bits) stays in L1 while tiles sweep it. */
    private static final int KC = 256;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat JF = ValueLayout.JAVA_FLOAT;
    private static final boolean FMA = VectorConstants.FAST_FMA;

    DenseGemm() {
    }

    @Override
    public String toString() {
        return "DenseGemm[" + BITS + " bits]";
    }

    @Override
    public int blockTokens() {
        return NB;
    }

    @Override
    public void pack(MemorySegment x, int n, int k, float[] xt, int u0, int u1) {
        // One bulk copy per token row slice into a heap buffer, then the strided scatter from the heap: per-element
        // segment reads carried a bounds check each and showed up in profiles of MiniLM's small GEMMs.
        final int slices = (k + PACK_K - 1) / PACK_K;
        float[] row = new float[PACK_K];
        for (int u = u0; u < u1; u++) {
            int b = u / slices;
            int k0 = (u % slices) * PACK_K;
            int kl = Math.min(PACK_K, k - k0);
            int base = (b * k + k0) * NB;
            for (int j = 0; j < NB; j++) {
                int t = b * NB + j;
                if (t < n) {
                    MemorySegment.copy(x, JF, 4L * ((long) k * t + k0), row, 0, kl);
                    for (int kk = 0; kk < kl; kk++) {
                        xt[base + kk * NB + j] = row[kk];
                    }
                } else {
                    for (int kk = 0; kk < kl; kk++) {
                        xt[base + kk * NB + j] = 0f;
                    }
                }
            }
        }
    }

    /** Rows per super-block: about SUPER_BLOCK_BYTES of f32 weights, a multiple of the tile height. */
    static int superRows(int k) {
        long rows = SUPER_BLOCK_BYTES / (4L * k);
        return (int) Math.max(MR, rows / MR * MR);
    }

    @Override
    public void rows(MemorySegment w, int wt, int m, int k, float[] xt, int n, MemorySegment y, int r0, int r1) {
        int blocks = (n + NB - 1) / NB;
        int sr = superRows(k);
        // Y^T accumulators of one super-block, [block][row][NB]: tiles are reloaded per K-block with
        // whole-vector loads, and transposed into Y once at the end.
        float[] acc = PackBuffer.TILE_SUMS.get((long) sr * NB * blocks);
        MemorySegment wide = wt == WeightType.F32 ? null : Scratch.get(4L * k * Math.min(sr, r1 - r0));
        float[] yRow = new float[sr];
        for (int s = r0; s < r1; s += sr) {
            int se = Math.min(s + sr, r1);
            MemorySegment src;
            int rowShift; // row index in src = row - rowShift
            if (wide == null) {
                src = w;
                rowShift = 0;
            } else {
                widen(w, wt, k, s, se, wide);
                src = wide;
                rowShift = s;
            }
            java.util.Arrays.fill(acc, 0, sr * NB * blocks, 0f);
            superBlock(src, s - rowShift, se - rowShift, k, xt, n, blocks, sr, acc);
            // Y rows are written whole (one bulk copy per token from a heap row): element-wise strided
            // segment stores cost a fifth of the GEMM time on MiniLM's 384-wide layers.
            final int rowsHere = se - s;
            for (int b = 0; b < blocks; b++) {
                int t0 = b * NB;
                int tokens = Math.min(NB, n - t0);
                for (int j = 0; j < tokens; j++) {
                    int a = b * sr * NB + j;
                    for (int i = 0; i < rowsHere; i++) {
                        yRow[i] = acc[a + i * NB];
                    }
                    MemorySegment.copy(yRow, 0, y, JF, 4L * ((long) (t0 + j) * m + s), rowsHere);
                }
            }
        }
    }

    /**
     * Accumulates W rows [s, se) of {@code src} against every token block into {@code acc}, in K-blocks of
     * {@link #KC} so the packed-X sub-panel (KC x NB floats) stays in L1 while the tiles sweep over it.
     */
    private static void superBlock(MemorySegment src, int s, int se, int k, float[] xt, int n, int blocks, int sr,
                                   float[] acc) {
        long rb = 4L * k;
        int last = se - 1;
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kl = Math.min(KC, k - k0);
            for (int b = 0; b < blocks; b++) {
                int tokens = Math.min(NB, n - b * NB);
                int xbase = (b * k + k0) * NB;
                for (int r = s; r < se; r += MR) {
                    long ko = 4L * k0;
                    long o0 = rb * r + ko;
                    long o1 = rb * Math.min(r + 1, last) + ko;
                    long o2 = rb * Math.min(r + 2, last) + ko;
                    long o3 = rb * Math.min(r + 3, last) + ko;
                    long o4 = rb * Math.min(r + 4, last) + ko;
                    long o5 = rb * Math.min(r + 5, last) + ko;
                    int a = (b * sr + (r - s)) * NB;
                    if (tokens > L) {
                        tile6x2(src, o0, o1, o2, o3, o4, o5, kl, xt, xbase, acc, a);
                    } else {
                        tile6x1(src, o0, o1, o2, o3, o4, o5, kl, xt, xbase, acc, a);
                    }
                }
            }
        }
    }

    /** Widens rows [s, se) of 16-bit weights into f32 rows 0.. of {@code wide}. */
    private static void widen(MemorySegment w, int wt, int k, int s, int se, MemorySegment wide) {
        // Separate loops per type: a vector merged from two differently-computed branches would be boxed.
        if (wt == WeightType.BF16) {
            widenBf16(w, k, s, se, wide);
        } else {
            widenF16(w, k, s, se, wide);
        }
    }

    private static void widenBf16(MemorySegment w, int k, int s, int se, MemorySegment wide) {
        int bound = F.loopBound(k);
        for (int r = s; r < se; r++) {
            long src = 2L * k * r;
            long dst = 4L * k * (r - s);
            int i = 0;
            for (; i < bound; i += L) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, src + 2L * i, NO)
                        .convertShape(VectorOperators.S2I, I, 0);
                h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoMemorySegment(wide, dst + 4L * i, NO);
            }
            for (; i < k; i++) {
                short h = w.get(ValueLayout.JAVA_SHORT, src + 2L * i);
                wide.set(JF, dst + 4L * i, Float.intBitsToFloat((h & 0xffff) << 16));
            }
        }
    }

    private static void widenF16(MemorySegment w, int k, int s, int se, MemorySegment wide) {
        int bound = F.loopBound(k);
        for (int r = s; r < se; r++) {
            long src = 2L * k * r;
            long dst = 4L * k * (r - s);
            int i = 0;
            for (; i < bound; i += L) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, src + 2L * i, NO)
                        .convertShape(VectorOperators.S2I, I, 0);
                // IEEE half -> float, exactly (see DenseGemv.widenF16 for the reasoning).
                IntVector mag = h.and(0x7fff);
                IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
                IntVector bits = mag.lanewise(VectorOperators.LSHL, 13).add(0x38000000);
                bits = bits.add(IntVector.broadcast(I, 0x38000000), mag.compare(VectorOperators.GE, 0x7c00));
                FloatVector sub = ((FloatVector) mag.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
                bits = bits.blend(sub.reinterpretAsInts(), mag.compare(VectorOperators.LT, 0x0400));
                bits.or(sign).reinterpretAsFloats().intoMemorySegment(wide, dst + 4L * i, NO);
            }
            for (; i < k; i++) {
                wide.set(JF, dst + 4L * i, Float.float16ToFloat(w.get(ValueLayout.JAVA_SHORT, src + 2L * i)));
            }
        }
    }

    private static FloatVector fma(FloatVector a, FloatVector b, FloatVector c) {
        return FMA ? a.fma(b, c) : a.mul(b).add(c);
    }

    private static FloatVector bc(MemorySegment w, long off) {
        return FloatVector.broadcast(F, w.get(JF, off));
    }

    /** 6 rows x 2 token vectors; results to tile[i*NB + j]. */
    private static void tile6x2(MemorySegment w, long o0, long o1, long o2, long o3, long o4, long o5,
                                int k, float[] xt, int xbase, float[] tile, int a) {
        FloatVector c00 = FloatVector.fromArray(F, tile, a), c01 = FloatVector.fromArray(F, tile, a + L);
        FloatVector c10 = FloatVector.fromArray(F, tile, a + NB), c11 = FloatVector.fromArray(F, tile, a + NB + L);
        FloatVector c20 = FloatVector.fromArray(F, tile, a + 2 * NB);
        FloatVector c21 = FloatVector.fromArray(F, tile, a + 2 * NB + L);
        FloatVector c30 = FloatVector.fromArray(F, tile, a + 3 * NB);
        FloatVector c31 = FloatVector.fromArray(F, tile, a + 3 * NB + L);
        FloatVector c40 = FloatVector.fromArray(F, tile, a + 4 * NB);
        FloatVector c41 = FloatVector.fromArray(F, tile, a + 4 * NB + L);
        FloatVector c50 = FloatVector.fromArray(F, tile, a + 5 * NB);
        FloatVector c51 = FloatVector.fromArray(F, tile, a + 5 * NB + L);
        for (int kk = 0; kk < k; kk++) {
            int xi = xbase + kk * NB;
            FloatVector x0 = FloatVector.fromArray(F, xt, xi);
            FloatVector x1 = FloatVector.fromArray(F, xt, xi + L);
            long ko = 4L * kk;
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

    /** 6 rows x 1 token vector (the last, narrow token block). */
    private static void tile6x1(MemorySegment w, long o0, long o1, long o2, long o3, long o4, long o5,
                                int k, float[] xt, int xbase, float[] tile, int a) {
        FloatVector c0 = FloatVector.fromArray(F, tile, a), c1 = FloatVector.fromArray(F, tile, a + NB);
        FloatVector c2 = FloatVector.fromArray(F, tile, a + 2 * NB), c3 = FloatVector.fromArray(F, tile, a + 3 * NB);
        FloatVector c4 = FloatVector.fromArray(F, tile, a + 4 * NB), c5 = FloatVector.fromArray(F, tile, a + 5 * NB);
        for (int kk = 0; kk < k; kk++) {
            FloatVector x0 = FloatVector.fromArray(F, xt, xbase + kk * NB);
            long ko = 4L * kk;
            c0 = fma(bc(w, o0 + ko), x0, c0);
            c1 = fma(bc(w, o1 + ko), x0, c1);
            c2 = fma(bc(w, o2 + ko), x0, c2);
            c3 = fma(bc(w, o3 + ko), x0, c3);
            c4 = fma(bc(w, o4 + ko), x0, c4);
            c5 = fma(bc(w, o5 + ko), x0, c5);
        }
        c0.intoArray(tile, a);
        c1.intoArray(tile, a + NB);
        c2.intoArray(tile, a + 2 * NB);
        c3.intoArray(tile, a + 3 * NB);
        c4.intoArray(tile, a + 4 * NB);
        c5.intoArray(tile, a + 5 * NB);
    }
}
