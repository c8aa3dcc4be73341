package dev.spruce.kernel.vector;

import dev.spruce.layout.Sparse24;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;

/**
 * y = S x for a {@link Sparse24} S and one token (or a few), by selecting activations in registers.
 *
 * <p>Why it is fast: it streams only what the layout stores (K/2 values and K/4 four-bit codes per row) and never
 * materialises indices in memory. One vector of L values covers 2L logical k (L/2 groups) and 2L bits of codes.
 * Those bits are broadcast to every lane and decoded with one variable shift and an and-or (one vpternlogd)
 * (lane i: {@code ((bits >>> 2i) & 3) + 4*(i/2)}), which gives each value's position inside the chunk's 2L
 * activations; a two-vector {@code selectFrom} (vpermt2d/vpermi2d on AVX-512) then picks the activations.
 *
 * <p>For one token, eight rows share each activation load and run over the whole of K together (see
 * {@link #oneToken} for why not in tiles): eight value streams keep more of the weights in flight from memory
 * than two did, and on this project's 2-core machine (one thread, medians, A/B in alternating JVMs, 2026-11-30)
 * 4096x11008 went from 7.1-7.7 to 4.7-5.2 ms (f32) and 2.8 to 2.2-2.35 ms (bf16), 11008x4096 from 5.8-7.4 to
 * 4.7-5.4 (f32) and 2.7-2.9 to 2.5-2.7 (bf16), and MiniLM's cached 384x384 and 1536x384 from 10 to 8 and 38 to 30
 * microseconds. The eight-row methods write every vector operation out in the loop: C2 stops inlining once a
 * method's graph passes its node cutoff, but the Vector API's own methods are force-inlined past it, this
 * class's helpers are not (a helper returning a vector then boxes it on every call). With helpers, four rows had
 * measured 3x slower; written out, sixteen rows fell back to boxed vectors in one JVM of two.
 *
 * <p>For a few tokens the same eight rows take two tokens per pass: each decoded index vector and each value load
 * serves both, each activation load eight rows, and the rows' weights, streamed in from memory by the first pair,
 * are still cached for the next. On 11008x4096 (one thread, medians, 2026-11-30) bf16 at 2 / 3 / 4 / 7 tokens went
 * from 6.2 / 9.9 / 7.6 / 14.7 ms (one row by four tokens, then one row per token) to 2.7 / 4.7 / 5.2 / 9.5, and f32
 * at 2 tokens runs 4.5 ms against the row kernel's 7.5 ({@link Sparse24VectorOps} picks). The last rows of a range
 * (fewer than eight) go one row by four tokens, then one by one. Loaded once per vector width by
 * {@link WidthSpecialized}.
 */
final class Sparse24Gemv implements Sparse24DotKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, VectorShape.forBitSize(BITS / 2));
    private static final int L = FS.length();
    /**
     * The exact class of FS's vectors. The eight-row passes cast their running sums to it, and the one-token BF16
     * pass also the result of each decoding step (to it or {@link #EXACT_I}): C2 inlines those passes' Vector API
     * calls late, and without the casts a vector's class is known only from a type profile, which a compile from
     * tier 2 (a busy machine) lacks; an intrinsic (the FMA, a shift) then fails and the row falls back to Java code
     * that allocates (README, known limits). A cast by a constant class is an intrinsic C2 folds away. The
     * two-token passes take the sums' casts only: with the step casts as well, the BF16 one grew past C2's limits.
     */
    private static final Class<? extends Vector<Float>> EXACT = FS.vectorType();
    /** Likewise for IS, whose vectors carry the decoded positions (and the widened BF16 values). */
    private static final Class<? extends Vector<Integer>> EXACT_I = IS.vectorType();
    /** Butterfly steps of {@link LaneSum}: fixed-order lane sums, the same bits before and after JIT compilation. */
    private static final VectorShuffle<Float> SWAP8 = LaneSum.swap(FS, 8);
    private static final VectorShuffle<Float> SWAP4 = LaneSum.swap(FS, 4);
    private static final VectorShuffle<Float> SWAP2 = LaneSum.swap(FS, 2);
    private static final VectorShuffle<Float> SWAP1 = LaneSum.swap(FS, 1);

    private static float sum(FloatVector v) {
        return LaneSum.sum(v, SWAP8, SWAP4, SWAP2, SWAP1);
    }
    /** Logical k covered by one vector of values. */
    private static final int CHUNK = 2 * L;
    /** Lane i: shift 2i (its 2-bit position field) and offset 4*(i/2) (its group's first k in the chunk). */
    private static final IntVector SHIFTS = IntVector.fromArray(IS, ramp(L, 2, 1), 0);
    private static final IntVector OFFSETS = IntVector.fromArray(IS, ramp(L, 4, 2), 0);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat JF = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final int EB_F32 = 4;
    private static final int EB_BF16 = 2;
    /** Rows per pass of the one-token kernel. */
    private static final int ROWS = 8;

    Sparse24Gemv() {
    }

    @Override
    public String toString() {
        return "Sparse24Gemv[" + BITS + " bits]";
    }

    private static int[] ramp(int n, int step, int per) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = step * (i / per);
        }
        return a;
    }

    /** The 2L code bits of chunk c of the row whose codes start at byte {@code rowCodes}. */
    private static int chunkBits(MemorySegment codes, long rowCodes, int c) {
        return switch (L) {
            case 16 -> codes.get(I32, rowCodes + 4L * c);
            case 8 -> codes.get(U16, rowCodes + 2L * c) & 0xffff;
            default -> codes.get(ValueLayout.JAVA_BYTE, rowCodes + (long) c * L / 4) & 0xff;
        };
    }

    /**
     * Index vector of chunk bits: lane i -> position of value i among the chunk's 2L activations. The field (bits
     * 0-1) and the group offset (multiples of 4) never overlap, so {@code or} adds them; C2 fuses the and/or pair
     * into one vpternlogd, one vector op fewer per chunk and row than and + add.
     */
    private static IntVector decode(int bits) {
        return IntVector.broadcast(IS, bits).lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
    }

    /** The L BF16 values of chunk c widened to floats (a bf16 is the top half of its float). */
    private static FloatVector valuesBf16(MemorySegment vals, long rowVals, int c) {
        return ((IntVector) ShortVector.fromMemorySegment(SS, vals, rowVals + 2L * L * c, LE)
                .convertShape(VectorOperators.S2I, IS, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The L F32 values of chunk c. */
    private static FloatVector valuesF32(MemorySegment vals, long rowVals, int c) {
        return FloatVector.fromMemorySegment(FS, vals, rowVals + 4L * L * c, LE);
    }

    private static FloatVector select(IntVector idx, IntVector x0, IntVector x1) {
        return idx.selectFrom(x0, x1).reinterpretAsFloats();
    }

    @Override
    public void rows(MemorySegment vals, MemorySegment codes, boolean bf16, int m, int k,
                     MemorySegment x, int n, MemorySegment y, int r0, int r1) {
        if (n == 1) {
            oneToken(vals, codes, bf16, k, x, 0, y, 0, r0, r1);
            return;
        }
        final float[] lanes = new float[2 * ROWS * L];
        int r = r0;
        // Eight rows at a time, their tokens in pairs: the rows' weights stream in from memory on the first pair and
        // are still in L1/L2 for the next.
        for (; r + ROWS <= r1; r += ROWS) {
            int t = 0;
            for (; t + 2 <= n; t += 2) {
                if (bf16) {
                    eightRowsTwoTokensBf16(vals, codes, k, x, 4L * k * t, r, lanes);
                } else {
                    eightRowsTwoTokensF32(vals, codes, k, x, 4L * k * t, r, lanes);
                }
                finishRows(lanes, 0, y, 4L * m * t, r, vals, codes, bf16, k, x, 4L * k * t);
                finishRows(lanes, ROWS, y, 4L * m * (t + 1), r, vals, codes, bf16, k, x, 4L * k * (t + 1));
            }
            if (t < n) {
                oneToken(vals, codes, bf16, k, x, 4L * k * t, y, 4L * m * t, r, r + ROWS);
            }
        }
        for (; r < r1; r++) {
            int t = 0;
            for (; t + 4 <= n; t += 4) {
                oneRowFourTokens(vals, codes, bf16, m, k, x, y, r, t);
            }
            for (; t < n; t++) {
                oneToken(vals, codes, bf16, k, x, 4L * k * t, y, 4L * m * t, r, r + 1);
            }
        }
    }

    /**
     * Rows [r0, r1) for the token at byte xo of x, results at byte yo of y (y[yo + 4r]), eight rows at a time over
     * the whole of K (then pairs, then one). Tiling K (4096-column slices, so x's slice stays in L1 while the rows
     * stream past it) measured slower once the weights were on huge pages: 4096x11008 f32 5.5-6.1 vs 4.7-5.3 ms,
     * without huge pages 6.6-7.3 vs 5.5-7.2, bf16 2.8-3.2 vs 2.4-2.6, 4096x16384 9.9-10.3 vs 9.1-9.9 (3 A/B pairs
     * each in alternating JVMs, 2026-11-30); the whole 44 KB x then comes from L2, which keeps up.
     */
    private static void oneToken(MemorySegment vals, MemorySegment codes, boolean bf16, int k,
                                 MemorySegment x, long xo, MemorySegment y, long yo, int r0, int r1) {
        int r = r0;
        if (r1 - r0 >= ROWS) {
            final float[] lanes = new float[ROWS * L];
            for (; r + ROWS <= r1; r += ROWS) {
                if (bf16) {
                    eightRowsBf16(vals, codes, k, x, xo, r, lanes);
                } else {
                    eightRowsF32(vals, codes, k, x, xo, r, lanes);
                }
                finishRows(lanes, 0, y, yo, r, vals, codes, bf16, k, x, xo);
            }
        }
        // The last rows: one loop per value type and row count (a loop holding several load paths grows past the
        // size up to which C2 inlines this class's helpers, and then every vector op allocates).
        for (; r + 2 <= r1; r += 2) {
            if (bf16) {
                twoRowsBf16(vals, codes, k, x, xo, y, yo, r);
            } else {
                twoRowsF32(vals, codes, k, x, xo, y, yo, r);
            }
        }
        for (; r < r1; r++) {
            if (bf16) {
                oneRowBf16(vals, codes, k, x, xo, y, yo, r);
            } else {
                oneRowF32(vals, codes, k, x, xo, y, yo, r);
            }
        }
    }

    /**
     * Rows r..r+7 over the whole chunks of K for the token at byte xo, row i's vector of partial sums stored to
     * lanes[L*i..] for the caller to add up. Every vector operation is written out here: the Vector API's own
     * methods are force-inlined however large the loop grows, this class's helpers are not (see the class
     * comment). {@link #eightRowsBf16} differs in the value load (and casts each decoding step, see
     * {@link #EXACT}); one method holding both loads would merge differently typed vectors, which C2 boxes.
     */
    private static void eightRowsF32(MemorySegment vals, MemorySegment codes, int k, MemorySegment x, long xo,
                                      int r, float[] lanes) {
        final long valRow = (long) (k / 2) * EB_F32;
        final long codeRow = (long) Sparse24.wordsPerRow(k) * 2;
        final long v0 = r * valRow, v1 = v0 + valRow, v2 = v1 + valRow, v3 = v2 + valRow;
        final long v4 = v3 + valRow, v5 = v4 + valRow, v6 = v5 + valRow, v7 = v6 + valRow;
        final long q0 = r * codeRow, q1 = q0 + codeRow, q2 = q1 + codeRow, q3 = q2 + codeRow;
        final long q4 = q3 + codeRow, q5 = q4 + codeRow, q6 = q5 + codeRow, q7 = q6 + codeRow;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int c = 0; c < k / CHUNK; c++) {
            final long xc = xo + 4L * CHUNK * c;
            final IntVector x0 = IntVector.fromMemorySegment(IS, x, xc, LE);
            final IntVector x1 = IntVector.fromMemorySegment(IS, x, xc + 4L * L, LE);
            final long cb = (long) c * L / 4;
            final long vb = (long) EB_F32 * L * c;
            a0 = (FloatVector) EXACT.cast(FloatVector.fromMemorySegment(FS, vals, v0 + vb, LE).fma(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q0 + cb)
                    : L == 8 ? codes.get(U16, q0 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q0 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS).selectFrom(x0, x1).reinterpretAsFloats(), a0));
            a1 = (FloatVector) EXACT.cast(FloatVector.fromMemorySegment(FS, vals, v1 + vb, LE).fma(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q1 + cb)
                    : L == 8 ? codes.get(U16, q1 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q1 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS).selectFrom(x0, x1).reinterpretAsFloats(), a1));
            a2 = (FloatVector) EXACT.cast(FloatVector.fromMemorySegment(FS, vals, v2 + vb, LE).fma(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q2 + cb)
                    : L == 8 ? codes.get(U16, q2 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q2 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS).selectFrom(x0, x1).reinterpretAsFloats(), a2));
            a3 = (FloatVector) EXACT.cast(FloatVector.fromMemorySegment(FS, vals, v3 + vb, LE).fma(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q3 + cb)
                    : L == 8 ? codes.get(U16, q3 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q3 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS).selectFrom(x0, x1).reinterpretAsFloats(), a3));
            a4 = (FloatVector) EXACT.cast(FloatVector.fromMemorySegment(FS, vals, v4 + vb, LE).fma(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q4 + cb)
                    : L == 8 ? codes.get(U16, q4 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q4 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS).selectFrom(x0, x1).reinterpretAsFloats(), a4));
            a5 = (FloatVector) EXACT.cast(FloatVector.fromMemorySegment(FS, vals, v5 + vb, LE).fma(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q5 + cb)
                    : L == 8 ? codes.get(U16, q5 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q5 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS).selectFrom(x0, x1).reinterpretAsFloats(), a5));
            a6 = (FloatVector) EXACT.cast(FloatVector.fromMemorySegment(FS, vals, v6 + vb, LE).fma(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q6 + cb)
                    : L == 8 ? codes.get(U16, q6 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q6 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS).selectFrom(x0, x1).reinterpretAsFloats(), a6));
            a7 = (FloatVector) EXACT.cast(FloatVector.fromMemorySegment(FS, vals, v7 + vb, LE).fma(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q7 + cb)
                    : L == 8 ? codes.get(U16, q7 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q7 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS).selectFrom(x0, x1).reinterpretAsFloats(), a7));
        }
        // Summed by the caller: a LaneSum call here would not be inlined (past C2's cutoff) and would box.
        a0.intoArray(lanes, 0 * L);
        a1.intoArray(lanes, 1 * L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        a4.intoArray(lanes, 4 * L);
        a5.intoArray(lanes, 5 * L);
        a6.intoArray(lanes, 6 * L);
        a7.intoArray(lanes, 7 * L);
    }

    /**
     * Rows r..r+7 times the tokens at bytes xo and xo + 4K over the whole chunks of K, the partial sums stored to
     * lanes[L*i..] (first token) and lanes[L*(8 + i)..] (second) for the caller to add up. Written out as
     * {@link #eightRowsF32} is, and for the same reasons.
     */
    private static void eightRowsTwoTokensF32(MemorySegment vals, MemorySegment codes, int k, MemorySegment x,
                                               long xo, int r, float[] lanes) {
        final long valRow = (long) (k / 2) * EB_F32;
        final long codeRow = (long) Sparse24.wordsPerRow(k) * 2;
        final long xr = 4L * k;
        final long v0 = r * valRow, v1 = v0 + valRow, v2 = v1 + valRow, v3 = v2 + valRow;
        final long v4 = v3 + valRow, v5 = v4 + valRow, v6 = v5 + valRow, v7 = v6 + valRow;
        final long q0 = r * codeRow, q1 = q0 + codeRow, q2 = q1 + codeRow, q3 = q2 + codeRow;
        final long q4 = q3 + codeRow, q5 = q4 + codeRow, q6 = q5 + codeRow, q7 = q6 + codeRow;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        for (int c = 0; c < k / CHUNK; c++) {
            final long xc = xo + 4L * CHUNK * c;
            final IntVector x0 = IntVector.fromMemorySegment(IS, x, xc, LE);
            final IntVector x1 = IntVector.fromMemorySegment(IS, x, xc + 4L * L, LE);
            final IntVector z0 = IntVector.fromMemorySegment(IS, x, xc + xr, LE);
            final IntVector z1 = IntVector.fromMemorySegment(IS, x, xc + xr + 4L * L, LE);
            final long cb = (long) c * L / 4;
            final long vb = (long) EB_F32 * L * c;
            IntVector p;
            FloatVector w;
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q0 + cb)
                    : L == 8 ? codes.get(U16, q0 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q0 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = FloatVector.fromMemorySegment(FS, vals, v0 + vb, LE);
            a0 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a0));
            b0 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b0));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q1 + cb)
                    : L == 8 ? codes.get(U16, q1 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q1 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = FloatVector.fromMemorySegment(FS, vals, v1 + vb, LE);
            a1 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a1));
            b1 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b1));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q2 + cb)
                    : L == 8 ? codes.get(U16, q2 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q2 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = FloatVector.fromMemorySegment(FS, vals, v2 + vb, LE);
            a2 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a2));
            b2 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b2));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q3 + cb)
                    : L == 8 ? codes.get(U16, q3 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q3 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = FloatVector.fromMemorySegment(FS, vals, v3 + vb, LE);
            a3 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a3));
            b3 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b3));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q4 + cb)
                    : L == 8 ? codes.get(U16, q4 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q4 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = FloatVector.fromMemorySegment(FS, vals, v4 + vb, LE);
            a4 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a4));
            b4 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b4));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q5 + cb)
                    : L == 8 ? codes.get(U16, q5 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q5 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = FloatVector.fromMemorySegment(FS, vals, v5 + vb, LE);
            a5 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a5));
            b5 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b5));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q6 + cb)
                    : L == 8 ? codes.get(U16, q6 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q6 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = FloatVector.fromMemorySegment(FS, vals, v6 + vb, LE);
            a6 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a6));
            b6 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b6));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q7 + cb)
                    : L == 8 ? codes.get(U16, q7 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q7 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = FloatVector.fromMemorySegment(FS, vals, v7 + vb, LE);
            a7 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a7));
            b7 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b7));
        }
        // Summed by the caller: a LaneSum call here would not be inlined (past C2's cutoff) and would box.
        a0.intoArray(lanes, 0 * L);
        a1.intoArray(lanes, 1 * L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        a4.intoArray(lanes, 4 * L);
        a5.intoArray(lanes, 5 * L);
        a6.intoArray(lanes, 6 * L);
        a7.intoArray(lanes, 7 * L);
        b0.intoArray(lanes, 8 * L);
        b1.intoArray(lanes, 9 * L);
        b2.intoArray(lanes, 10 * L);
        b3.intoArray(lanes, 11 * L);
        b4.intoArray(lanes, 12 * L);
        b5.intoArray(lanes, 13 * L);
        b6.intoArray(lanes, 14 * L);
        b7.intoArray(lanes, 15 * L);
    }

    /** Rows r, r+1 over the whole chunks of K, for the token at byte xo. */
    private static void twoRowsF32(MemorySegment vals, MemorySegment codes, int k, MemorySegment x, long xo,
                                  MemorySegment y, long yo, int r) {
        final long valRow = (long) (k / 2) * EB_F32;
        final long codeRow = (long) Sparse24.wordsPerRow(k) * 2;
        final long v0 = r * valRow;
        final long q0 = r * codeRow;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        for (int c = 0; c < k / CHUNK; c++) {
            long xc = xo + 4L * CHUNK * c;
            IntVector x0 = IntVector.fromMemorySegment(IS, x, xc, LE);
            IntVector x1 = IntVector.fromMemorySegment(IS, x, xc + 4L * L, LE);
            a0 = valuesF32(vals, v0, c).fma(select(decode(chunkBits(codes, q0, c)), x0, x1), a0);
            a1 = valuesF32(vals, v0 + valRow, c).fma(select(decode(chunkBits(codes, q0 + codeRow, c)), x0, x1), a1);
        }
        int kDone = (k / CHUNK) * CHUNK;
        boolean bf16 = false;
        finish(y, yo, r, sum(a0), vals, codes, bf16, k, kDone, x, xo);
        finish(y, yo, r + 1, sum(a1), vals, codes, bf16, k, kDone, x, xo);
    }

    /** Row r over the whole chunks of K, for the token at byte xo. */
    private static void oneRowF32(MemorySegment vals, MemorySegment codes, int k, MemorySegment x, long xo,
                                 MemorySegment y, long yo, int r) {
        final long v0 = r * (long) (k / 2) * EB_F32;
        final long q0 = r * (long) Sparse24.wordsPerRow(k) * 2;
        FloatVector a0 = FloatVector.zero(FS);
        for (int c = 0; c < k / CHUNK; c++) {
            long xc = xo + 4L * CHUNK * c;
            IntVector x0 = IntVector.fromMemorySegment(IS, x, xc, LE);
            IntVector x1 = IntVector.fromMemorySegment(IS, x, xc + 4L * L, LE);
            a0 = valuesF32(vals, v0, c).fma(select(decode(chunkBits(codes, q0, c)), x0, x1), a0);
        }
        finish(y, yo, r, sum(a0), vals, codes, false, k,
                (k / CHUNK) * CHUNK, x, xo);
    }

    /** Row r times tokens t..t+3 over all of K, written to Y. */
    private static void oneRowFourTokensF32(MemorySegment vals, MemorySegment codes, int m, int k,
                                           MemorySegment x, MemorySegment y, int r, int t) {
        final int chunks = k / CHUNK;
        final long xRow = 4L * k;
        final long va = r * (long) (k / 2) * EB_F32;
        final long qa = r * (long) Sparse24.wordsPerRow(k) * 2;
        final long xt = t * xRow;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int c = 0; c < chunks; c++) {
            IntVector ia = decode(chunkBits(codes, qa, c));
            FloatVector wa = valuesF32(vals, va, c);
            long xc = xt + 4L * CHUNK * c;
            a0 = wa.fma(select(ia, IntVector.fromMemorySegment(IS, x, xc, LE),
                    IntVector.fromMemorySegment(IS, x, xc + 4L * L, LE)), a0);
            a1 = wa.fma(select(ia, IntVector.fromMemorySegment(IS, x, xc + xRow, LE),
                    IntVector.fromMemorySegment(IS, x, xc + xRow + 4L * L, LE)), a1);
            a2 = wa.fma(select(ia, IntVector.fromMemorySegment(IS, x, xc + 2 * xRow, LE),
                    IntVector.fromMemorySegment(IS, x, xc + 2 * xRow + 4L * L, LE)), a2);
            a3 = wa.fma(select(ia, IntVector.fromMemorySegment(IS, x, xc + 3 * xRow, LE),
                    IntVector.fromMemorySegment(IS, x, xc + 3 * xRow + 4L * L, LE)), a3);
        }
        int kDone = chunks * CHUNK;
        long ym = 4L * m;
        boolean bf16 = false;
        finish(y, t * ym, r, sum(a0), vals, codes, bf16, k, kDone, x, xt);
        finish(y, (t + 1) * ym, r, sum(a1), vals, codes, bf16, k, kDone, x,
                xt + xRow);
        finish(y, (t + 2) * ym, r, sum(a2), vals, codes, bf16, k, kDone, x,
                xt + 2 * xRow);
        finish(y, (t + 3) * ym, r, sum(a3), vals, codes, bf16, k, kDone, x,
                xt + 3 * xRow);
    }

    /**
     * As {@link #eightRowsF32}, with BF16 values widened to f32 as they are loaded, and each decoding step cast to
     * its exact vector class (see {@link #EXACT}).
     */
    private static void eightRowsBf16(MemorySegment vals, MemorySegment codes, int k, MemorySegment x, long xo,
                                      int r, float[] lanes) {
        final long valRow = (long) (k / 2) * EB_BF16;
        final long codeRow = (long) Sparse24.wordsPerRow(k) * 2;
        final long v0 = r * valRow, v1 = v0 + valRow, v2 = v1 + valRow, v3 = v2 + valRow;
        final long v4 = v3 + valRow, v5 = v4 + valRow, v6 = v5 + valRow, v7 = v6 + valRow;
        final long q0 = r * codeRow, q1 = q0 + codeRow, q2 = q1 + codeRow, q3 = q2 + codeRow;
        final long q4 = q3 + codeRow, q5 = q4 + codeRow, q6 = q5 + codeRow, q7 = q6 + codeRow;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int c = 0; c < k / CHUNK; c++) {
            final long xc = xo + 4L * CHUNK * c;
            final IntVector x0 = IntVector.fromMemorySegment(IS, x, xc, LE);
            final IntVector x1 = IntVector.fromMemorySegment(IS, x, xc + 4L * L, LE);
            final long cb = (long) c * L / 4;
            final long vb = (long) EB_BF16 * L * c;
            a0 = (FloatVector) EXACT.cast(((FloatVector) EXACT.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(ShortVector.fromMemorySegment(SS, vals, v0 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0))).lanewise(VectorOperators.LSHL, 16))).reinterpretAsFloats())).fma(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q0 + cb)
                    : L == 8 ? codes.get(U16, q0 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q0 + cb) & 0xff))).lanewise(VectorOperators.LSHR, SHIFTS)))
                    .and(3))).or(OFFSETS))).selectFrom(x0, x1).reinterpretAsFloats(), a0));
            a1 = (FloatVector) EXACT.cast(((FloatVector) EXACT.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(ShortVector.fromMemorySegment(SS, vals, v1 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0))).lanewise(VectorOperators.LSHL, 16))).reinterpretAsFloats())).fma(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q1 + cb)
                    : L == 8 ? codes.get(U16, q1 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q1 + cb) & 0xff))).lanewise(VectorOperators.LSHR, SHIFTS)))
                    .and(3))).or(OFFSETS))).selectFrom(x0, x1).reinterpretAsFloats(), a1));
            a2 = (FloatVector) EXACT.cast(((FloatVector) EXACT.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(ShortVector.fromMemorySegment(SS, vals, v2 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0))).lanewise(VectorOperators.LSHL, 16))).reinterpretAsFloats())).fma(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q2 + cb)
                    : L == 8 ? codes.get(U16, q2 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q2 + cb) & 0xff))).lanewise(VectorOperators.LSHR, SHIFTS)))
                    .and(3))).or(OFFSETS))).selectFrom(x0, x1).reinterpretAsFloats(), a2));
            a3 = (FloatVector) EXACT.cast(((FloatVector) EXACT.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(ShortVector.fromMemorySegment(SS, vals, v3 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0))).lanewise(VectorOperators.LSHL, 16))).reinterpretAsFloats())).fma(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q3 + cb)
                    : L == 8 ? codes.get(U16, q3 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q3 + cb) & 0xff))).lanewise(VectorOperators.LSHR, SHIFTS)))
                    .and(3))).or(OFFSETS))).selectFrom(x0, x1).reinterpretAsFloats(), a3));
            a4 = (FloatVector) EXACT.cast(((FloatVector) EXACT.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(ShortVector.fromMemorySegment(SS, vals, v4 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0))).lanewise(VectorOperators.LSHL, 16))).reinterpretAsFloats())).fma(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q4 + cb)
                    : L == 8 ? codes.get(U16, q4 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q4 + cb) & 0xff))).lanewise(VectorOperators.LSHR, SHIFTS)))
                    .and(3))).or(OFFSETS))).selectFrom(x0, x1).reinterpretAsFloats(), a4));
            a5 = (FloatVector) EXACT.cast(((FloatVector) EXACT.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(ShortVector.fromMemorySegment(SS, vals, v5 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0))).lanewise(VectorOperators.LSHL, 16))).reinterpretAsFloats())).fma(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q5 + cb)
                    : L == 8 ? codes.get(U16, q5 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q5 + cb) & 0xff))).lanewise(VectorOperators.LSHR, SHIFTS)))
                    .and(3))).or(OFFSETS))).selectFrom(x0, x1).reinterpretAsFloats(), a5));
            a6 = (FloatVector) EXACT.cast(((FloatVector) EXACT.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(ShortVector.fromMemorySegment(SS, vals, v6 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0))).lanewise(VectorOperators.LSHL, 16))).reinterpretAsFloats())).fma(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q6 + cb)
                    : L == 8 ? codes.get(U16, q6 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q6 + cb) & 0xff))).lanewise(VectorOperators.LSHR, SHIFTS)))
                    .and(3))).or(OFFSETS))).selectFrom(x0, x1).reinterpretAsFloats(), a6));
            a7 = (FloatVector) EXACT.cast(((FloatVector) EXACT.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(ShortVector.fromMemorySegment(SS, vals, v7 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0))).lanewise(VectorOperators.LSHL, 16))).reinterpretAsFloats())).fma(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(((IntVector) EXACT_I.cast(IntVector.broadcast(IS, L == 16 ? codes.get(I32, q7 + cb)
                    : L == 8 ? codes.get(U16, q7 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q7 + cb) & 0xff))).lanewise(VectorOperators.LSHR, SHIFTS)))
                    .and(3))).or(OFFSETS))).selectFrom(x0, x1).reinterpretAsFloats(), a7));
        }
        // Summed by the caller: a LaneSum call here would not be inlined (past C2's cutoff) and would box.
        a0.intoArray(lanes, 0 * L);
        a1.intoArray(lanes, 1 * L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        a4.intoArray(lanes, 4 * L);
        a5.intoArray(lanes, 5 * L);
        a6.intoArray(lanes, 6 * L);
        a7.intoArray(lanes, 7 * L);
    }

    /**
     * Rows r..r+7 times the tokens at bytes xo and xo + 4K over the whole chunks of K, the partial sums stored to
     * lanes[L*i..] (first token) and lanes[L*(8 + i)..] (second) for the caller to add up. Written out as
     * {@link #eightRowsBf16} is, and for the same reasons.
     */
    private static void eightRowsTwoTokensBf16(MemorySegment vals, MemorySegment codes, int k, MemorySegment x,
                                               long xo, int r, float[] lanes) {
        final long valRow = (long) (k / 2) * EB_BF16;
        final long codeRow = (long) Sparse24.wordsPerRow(k) * 2;
        final long xr = 4L * k;
        final long v0 = r * valRow, v1 = v0 + valRow, v2 = v1 + valRow, v3 = v2 + valRow;
        final long v4 = v3 + valRow, v5 = v4 + valRow, v6 = v5 + valRow, v7 = v6 + valRow;
        final long q0 = r * codeRow, q1 = q0 + codeRow, q2 = q1 + codeRow, q3 = q2 + codeRow;
        final long q4 = q3 + codeRow, q5 = q4 + codeRow, q6 = q5 + codeRow, q7 = q6 + codeRow;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        for (int c = 0; c < k / CHUNK; c++) {
            final long xc = xo + 4L * CHUNK * c;
            final IntVector x0 = IntVector.fromMemorySegment(IS, x, xc, LE);
            final IntVector x1 = IntVector.fromMemorySegment(IS, x, xc + 4L * L, LE);
            final IntVector z0 = IntVector.fromMemorySegment(IS, x, xc + xr, LE);
            final IntVector z1 = IntVector.fromMemorySegment(IS, x, xc + xr + 4L * L, LE);
            final long cb = (long) c * L / 4;
            final long vb = (long) EB_BF16 * L * c;
            IntVector p;
            FloatVector w;
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q0 + cb)
                    : L == 8 ? codes.get(U16, q0 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q0 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = ((IntVector) ShortVector.fromMemorySegment(SS, vals, v0 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a0 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a0));
            b0 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b0));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q1 + cb)
                    : L == 8 ? codes.get(U16, q1 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q1 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = ((IntVector) ShortVector.fromMemorySegment(SS, vals, v1 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a1 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a1));
            b1 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b1));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q2 + cb)
                    : L == 8 ? codes.get(U16, q2 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q2 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = ((IntVector) ShortVector.fromMemorySegment(SS, vals, v2 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a2 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a2));
            b2 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b2));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q3 + cb)
                    : L == 8 ? codes.get(U16, q3 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q3 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = ((IntVector) ShortVector.fromMemorySegment(SS, vals, v3 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a3 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a3));
            b3 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b3));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q4 + cb)
                    : L == 8 ? codes.get(U16, q4 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q4 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = ((IntVector) ShortVector.fromMemorySegment(SS, vals, v4 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a4 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a4));
            b4 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b4));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q5 + cb)
                    : L == 8 ? codes.get(U16, q5 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q5 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = ((IntVector) ShortVector.fromMemorySegment(SS, vals, v5 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a5 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a5));
            b5 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b5));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q6 + cb)
                    : L == 8 ? codes.get(U16, q6 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q6 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = ((IntVector) ShortVector.fromMemorySegment(SS, vals, v6 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a6 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a6));
            b6 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b6));
            p = IntVector.broadcast(IS, L == 16 ? codes.get(I32, q7 + cb)
                    : L == 8 ? codes.get(U16, q7 + cb) & 0xffff : codes.get(ValueLayout.JAVA_BYTE, q7 + cb) & 0xff)
                    .lanewise(VectorOperators.LSHR, SHIFTS).and(3).or(OFFSETS);
            w = ((IntVector) ShortVector.fromMemorySegment(SS, vals, v7 + vb, LE)
                    .convertShape(VectorOperators.S2I, IS, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a7 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(x0, x1).reinterpretAsFloats(), a7));
            b7 = (FloatVector) EXACT.cast(w.fma(p.selectFrom(z0, z1).reinterpretAsFloats(), b7));
        }
        // Summed by the caller: a LaneSum call here would not be inlined (past C2's cutoff) and would box.
        a0.intoArray(lanes, 0 * L);
        a1.intoArray(lanes, 1 * L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        a4.intoArray(lanes, 4 * L);
        a5.intoArray(lanes, 5 * L);
        a6.intoArray(lanes, 6 * L);
        a7.intoArray(lanes, 7 * L);
        b0.intoArray(lanes, 8 * L);
        b1.intoArray(lanes, 9 * L);
        b2.intoArray(lanes, 10 * L);
        b3.intoArray(lanes, 11 * L);
        b4.intoArray(lanes, 12 * L);
        b5.intoArray(lanes, 13 * L);
        b6.intoArray(lanes, 14 * L);
        b7.intoArray(lanes, 15 * L);
    }

    /** Rows r, r+1 over the whole chunks of K, for the token at byte xo. */
    private static void twoRowsBf16(MemorySegment vals, MemorySegment codes, int k, MemorySegment x, long xo,
                                  MemorySegment y, long yo, int r) {
        final long valRow = (long) (k / 2) * EB_BF16;
        final long codeRow = (long) Sparse24.wordsPerRow(k) * 2;
        final long v0 = r * valRow;
        final long q0 = r * codeRow;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        for (int c = 0; c < k / CHUNK; c++) {
            long xc = xo + 4L * CHUNK * c;
            IntVector x0 = IntVector.fromMemorySegment(IS, x, xc, LE);
            IntVector x1 = IntVector.fromMemorySegment(IS, x, xc + 4L * L, LE);
            a0 = valuesBf16(vals, v0, c).fma(select(decode(chunkBits(codes, q0, c)), x0, x1), a0);
            a1 = valuesBf16(vals, v0 + valRow, c).fma(select(decode(chunkBits(codes, q0 + codeRow, c)), x0, x1), a1);
        }
        int kDone = (k / CHUNK) * CHUNK;
        boolean bf16 = true;
        finish(y, yo, r, sum(a0), vals, codes, bf16, k, kDone, x, xo);
        finish(y, yo, r + 1, sum(a1), vals, codes, bf16, k, kDone, x, xo);
    }

    /** Row r over the whole chunks of K, for the token at byte xo. */
    private static void oneRowBf16(MemorySegment vals, MemorySegment codes, int k, MemorySegment x, long xo,
                                 MemorySegment y, long yo, int r) {
        final long v0 = r * (long) (k / 2) * EB_BF16;
        final long q0 = r * (long) Sparse24.wordsPerRow(k) * 2;
        FloatVector a0 = FloatVector.zero(FS);
        for (int c = 0; c < k / CHUNK; c++) {
            long xc = xo + 4L * CHUNK * c;
            IntVector x0 = IntVector.fromMemorySegment(IS, x, xc, LE);
            IntVector x1 = IntVector.fromMemorySegment(IS, x, xc + 4L * L, LE);
            a0 = valuesBf16(vals, v0, c).fma(select(decode(chunkBits(codes, q0, c)), x0, x1), a0);
        }
        finish(y, yo, r, sum(a0), vals, codes, true, k,
                (k / CHUNK) * CHUNK, x, xo);
    }

    /** Row r times tokens t..t+3 over all of K, written to Y. */
    private static void oneRowFourTokensBf16(MemorySegment vals, MemorySegment codes, int m, int k,
                                           MemorySegment x, MemorySegment y, int r, int t) {
        final int chunks = k / CHUNK;
        final long xRow = 4L * k;
        final long va = r * (long) (k / 2) * EB_BF16;
        final long qa = r * (long) Sparse24.wordsPerRow(k) * 2;
        final long xt = t * xRow;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int c = 0; c < chunks; c++) {
            IntVector ia = decode(chunkBits(codes, qa, c));
            FloatVector wa = valuesBf16(vals, va, c);
            long xc = xt + 4L * CHUNK * c;
            a0 = wa.fma(select(ia, IntVector.fromMemorySegment(IS, x, xc, LE),
                    IntVector.fromMemorySegment(IS, x, xc + 4L * L, LE)), a0);
            a1 = wa.fma(select(ia, IntVector.fromMemorySegment(IS, x, xc + xRow, LE),
                    IntVector.fromMemorySegment(IS, x, xc + xRow + 4L * L, LE)), a1);
            a2 = wa.fma(select(ia, IntVector.fromMemorySegment(IS, x, xc + 2 * xRow, LE),
                    IntVector.fromMemorySegment(IS, x, xc + 2 * xRow + 4L * L, LE)), a2);
            a3 = wa.fma(select(ia, IntVector.fromMemorySegment(IS, x, xc + 3 * xRow, LE),
                    IntVector.fromMemorySegment(IS, x, xc + 3 * xRow + 4L * L, LE)), a3);
        }
        int kDone = chunks * CHUNK;
        long ym = 4L * m;
        boolean bf16 = true;
        finish(y, t * ym, r, sum(a0), vals, codes, bf16, k, kDone, x, xt);
        finish(y, (t + 1) * ym, r, sum(a1), vals, codes, bf16, k, kDone, x,
                xt + xRow);
        finish(y, (t + 2) * ym, r, sum(a2), vals, codes, bf16, k, kDone, x,
                xt + 2 * xRow);
        finish(y, (t + 3) * ym, r, sum(a3), vals, codes, bf16, k, kDone, x,
                xt + 3 * xRow);
    }

    private static void oneRowFourTokens(MemorySegment vals, MemorySegment codes, boolean bf16, int m, int k,
                                         MemorySegment x, MemorySegment y, int r, int t) {
        if (bf16) {
            oneRowFourTokensBf16(vals, codes, m, k, x, y, r, t);
        } else {
            oneRowFourTokensF32(vals, codes, m, k, x, y, r, t);
        }
    }

    /**
     * Rows r..r+7 of one token from an eight-row pass: row i's partial sums are lanes[L*(first + i)..], added up in
     * {@link LaneSum}'s order and finished by {@link #finish}.
     */
    private static void finishRows(float[] lanes, int first, MemorySegment y, long yo, int r, MemorySegment vals,
                                   MemorySegment codes, boolean bf16, int k, MemorySegment x, long xo) {
        final int kDone = (k / CHUNK) * CHUNK;
        for (int i = 0; i < ROWS; i++) {
            finish(y, yo, r + i, sum(FloatVector.fromArray(FS, lanes, (first + i) * L)), vals, codes, bf16, k, kDone,
                    x, xo);
        }
    }

    /**
     * Stores a row's sum to y[yo + 4r], adding the groups beyond the last full chunk (K not a multiple of 2L) in
     * scalar code.
     */
    private static void finish(MemorySegment y, long yo, int r, float partial, MemorySegment vals,
                               MemorySegment codes, boolean bf16, int k, int kDone, MemorySegment x, long xo) {
        float sum = partial;
        if (kDone < k) {
            sum += Sparse24Scalar.groups(vals, codes, bf16, k, r, kDone / 4, x, xo);
        }
        y.set(JF, yo + 4L * r, sum);
    }
}
