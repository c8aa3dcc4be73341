package dev.spruce.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
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
 * per super-block. 16-bit weights are widened into a per-thread f32 copy of the super-block once
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
    public void pack(MemorySegment x, int n, int k, float[] xt, int b0, int b1) {
        for (int b = b0; b < b1; b++) {
            int base = b * k * NB;
            for (int j = 0; j < NB; j++) {
                int t = b * NB + j;
                if (t < n) {
                    long xo = 4L * k * t;
                    for (int kk = 0; kk < k; kk++) {
                        xt[base + kk * NB + j] = x.get(JF, xo + 4L * kk);
                    }
                } else {
                    for (int kk = 0; kk < k; kk++) {
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
        float[] tile = new float[MR * NB];
        try (Arena arena = wt == WeightType.F32 ? null : Arena.ofConfined()) {
            MemorySegment wide = arena == null ? null : arena.allocate(4L * k * Math.min(sr, r1 - r0), 64);
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
                for (int b = 0; b < blocks; b++) {
                    int t0 = b * NB;
                    int tokens = Math.min(NB, n - t0);
                    int xbase = b * k * NB;
                    for (int r = s; r < se; r += MR) {
                        long rb = 4L * k;
                        int last = se - 1 - rowShift;
                        int rr = r - rowShift;
                        long o0 = rb * rr;
                        long o1 = rb * Math.min(rr + 1, last);
                        long o2 = rb * Math.min(rr + 2, last);
                        long o3 = rb * Math.min(rr + 3, last);
                        long o4 = rb * Math.min(rr + 4, last);
                        long o5 = rb * Math.min(rr + 5, last);
                        if (tokens > L) {
                            tile6x2(src, o0, o1, o2, o3, o4, o5, k, xt, xbase, tile);
                        } else {
                            tile6x1(src, o0, o1, o2, o3, o4, o5, k, xt, xbase, tile);
                        }
                        int rows = Math.min(MR, se - r);
                        for (int i = 0; i < rows; i++) {
                            for (int j = 0; j < tokens; j++) {
                                y.setAtIndex(JF, (long) (t0 + j) * m + r + i, tile[i * NB + j]);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Widens rows [s, se) of 16-bit weights into f32 rows 0.. of {@code wide}. */
    private static void widen(MemorySegment w, int wt, int k, int s, int se, MemorySegment wide) {
        int bound = F.loopBound(k);
        for (int r = s; r < se; r++) {
            long src = 2L * k * r;
            long dst = 4L * k * (r - s);
            int i = 0;
            for (; i < bound; i += L) {
                load16(w, wt, src + 2L * i).intoMemorySegment(wide, dst + 4L * i, NO);
            }
            for (; i < k; i++) {
                short h = w.get(ValueLayout.JAVA_SHORT, src + 2L * i);
                float f = wt == WeightType.BF16 ? Float.intBitsToFloat((h & 0xffff) << 16) : Float.float16ToFloat(h);
                wide.set(JF, dst + 4L * i, f);
            }
        }
    }

    private static FloatVector load16(MemorySegment w, int wt, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off, NO).convertShape(VectorOperators.S2I, I, 0);
        if (wt == WeightType.BF16) {
            return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }
        // IEEE half -> float, exactly (see DenseGemv.f16ToFloat for the reasoning).
        IntVector mag = h.and(0x7fff);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector bits = mag.lanewise(VectorOperators.LSHL, 13).add(0x38000000);
        bits = bits.add(IntVector.broadcast(I, 0x38000000), mag.compare(VectorOperators.GE, 0x7c00));
        FloatVector sub = ((FloatVector) mag.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
        bits = bits.blend(sub.reinterpretAsInts(), mag.compare(VectorOperators.LT, 0x0400));
        return bits.or(sign).reinterpretAsFloats();
    }

    private static FloatVector fma(FloatVector a, FloatVector b, FloatVector c) {
        return FMA ? a.fma(b, c) : a.mul(b).add(c);
    }

    private static FloatVector bc(MemorySegment w, long off) {
        return FloatVector.broadcast(F, w.get(JF, off));
    }

    /** 6 rows x 2 token vectors; results to tile[i*NB + j]. */
    private static void tile6x2(MemorySegment w, long o0, long o1, long o2, long o3, long o4, long o5,
                                int k, float[] xt, int xbase, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
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
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NB);
        c11.intoArray(tile, NB + L);
        c20.intoArray(tile, 2 * NB);
        c21.intoArray(tile, 2 * NB + L);
        c30.intoArray(tile, 3 * NB);
        c31.intoArray(tile, 3 * NB + L);
        c40.intoArray(tile, 4 * NB);
        c41.intoArray(tile, 4 * NB + L);
        c50.intoArray(tile, 5 * NB);
        c51.intoArray(tile, 5 * NB + L);
    }

    /** 6 rows x 1 token vector (the last, narrow token block). */
    private static void tile6x1(MemorySegment w, long o0, long o1, long o2, long o3, long o4, long o5,
                                int k, float[] xt, int xbase, float[] tile) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
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
        c0.intoArray(tile, 0);
        c1.intoArray(tile, NB);
        c2.intoArray(tile, 2 * NB);
        c3.intoArray(tile, 3 * NB);
        c4.intoArray(tile, 4 * NB);
        c5.intoArray(tile, 5 * NB);
    }
}
