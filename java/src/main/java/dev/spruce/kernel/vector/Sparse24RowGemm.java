package dev.spruce.kernel.vector;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import java.util.Arrays;

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
 * tokens; six is also where C2 still inlines every Vector API call of the loop written with small helpers. Eight
 * tokens per pass, for chunks of 16 tokens and more, are written out op by op (see {@link #tokens8}).
 *
 * <p>K is taken in segments of 128 k, and every token of a chunk of 48 passes over a segment before the next
 * begins, so a block is read from memory once and then reused from L1. Passing each token group over the whole
 * block instead re-read it from farther out every time: 4096x4096 x 32 tokens ran at 139-141 dense-equivalent
 * GFLOP/s when every block read the same (cached) copy, 94-114 on the real layer; in segments 11008x4096 runs
 * 8-10% faster at 32 tokens, 25% at 16 and 33% at 8 (2026-11-30, design notes).
 *
 * <p>Each segment's first pass still read it from memory in a burst, with the other passes waiting on nothing, and
 * that cost a third: 11008x4096 x 32 tokens took 19-20 ms when every block read one cached block, 25.5-27.5 on its
 * own. So while a segment is computed, the next one is prefetched ({@link CachePrefetch}), a share before each token
 * pass, at most {@link #PREFETCH_VALUE_LINES} lines of values a pass. Harness, 1 thread, A/B in alternating JVMs
 * (2026-11-30): 32 tokens 11008x4096 23.5 against 27.1-27.6 ms, 4096x11008 22.2 against 27.4, 4096² 8.2 against
 * 9.7; 24 tokens 17 against 22; against the kernel before the prefetch, 16 tokens 13.7-15.0 against 15.6-16.3 ms
 * and 8 tokens 9.8-10.3 against 9.8-11.9 (11008x4096 and 4096x11008), but 4096² x 8 2.4-2.5 against 2.2-2.3 (its
 * 42 MB repack stays in this VM's L3 between calls). Packs small enough to stay cached do without
 * ({@link Sparse24RowPack#prefetch}).
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
    /**
     * Activation vectors per segment of K: 128 k (-Dspruce.sparse24.rowSegmentK, in k, for measurements), so a
     * segment's slice of a row block (5 KB at 512 bits) and of a token chunk's activations (24 KB) share L1.
     */
    private static final int SEGMENT_VECS =
            Math.max(1, Integer.getInteger("spruce.sparse24.rowSegmentK", 128) / L);
    /**
     * Most lines of values prefetched per token pass (and a quarter of that of positions): the core has about 16
     * line-fill buffers, and a pass that asks for more stalls the loads of the segment being computed, so with fewer
     * than four passes a segment (below 32 tokens) part of the next segment is left to the hardware. 11008x4096 at 8
     * tokens (two passes, 32 value lines each uncapped), 1 thread: a cap of 16 or 20 ran 8.6 ms, 24 9.6, 32 and
     * none 10.3-10.4, no prefetch 10.4-10.7 (2026-11-30); prefetching a whole segment at once ran 28.6-31.3 ms at 32
     * tokens against 23 spread over the passes. Cutting the passes into pieces so that all of the next segment is
     * prefetched at few tokens cost more than it gained (each piece reloads its sums: 4096² x 8 tokens 2.8-2.9 ms
     * against 2.4-2.5 without the pieces).
     */
    private static final int PREFETCH_VALUE_LINES = 16;
    /**
     * Token chunks from this size run 8 tokens per pass ({@link #tokens8}), smaller ones 6. Harness, 1 thread, A/B
     * in alternating JVMs, 2026-11-30: 16 tokens 4096² 3.6-3.9 ms against 4.3-4.6 (two passes instead of 6+6+2+2),
     * 11008x4096 13.1-13.2 against 13.4-13.7; 32 tokens 4096² 7.4 against 8.2-8.5, 11008x4096 22.2-22.3 against
     * 22.9-24.7, 4096x11008 21.8-21.9 against 21.2-21.7; 24 tokens mixed (4096x11008 17.1-17.5 against 15.6-17.5);
     * MiniLM's 25 tokens even. At 8 tokens one 8-token pass lost to 6+2 (10.5-11.3 against 8.6-9.3 ms on 4096x11008):
     * a single pass can prefetch only {@link #PREFETCH_VALUE_LINES} of the next segment's 64 value lines.
     */
    private static final int EIGHTS_MIN_TOKENS = 16;
    private static final Class<? extends Vector<Float>> EXACT = FS.vectorType();
    /** Tokens that pass over one segment before the next; their running sums wait in {@link #SUMS}. */
    private static final int CHUNK_TOKENS = 48;
    /** Each thread's running sums, CHUNK_TOKENS x L floats, kept between calls. */
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[CHUNK_TOKENS * L]);

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
        final float[] sums = SUMS.get();
        // Entries in a whole segment: what each next segment's prefetch covers (0: this pack is not prefetched).
        final int segmentLength = pack.prefetch ? segmentStart(0, Math.min(vecs, SEGMENT_VECS)) : 0;
        for (int rb = r0; rb < r1; rb += L) {
            final int base = rb / L * pack.blockSize();
            for (int tc = 0; tc < n; tc += CHUNK_TOKENS) {
                final int nc = Math.min(CHUNK_TOKENS, n - tc);
                // K in segments, each passed over by every token of the chunk while its slice of the block is in
                // L1; the running sums wait in a heap buffer between segments (kept in Y instead, the extra
                // segment loads pushed the 6-token body past C2's inlining cutoff and its vectors were boxed).
                Arrays.fill(sums, 0, nc * L, 0f);
                final boolean eights = nc >= EIGHTS_MIN_TOKENS;
                final int passes = eights ? nc / 8 + nc % 8 / 6 + nc % 8 % 6 / 2 + nc % 2 : nc / 6 + nc % 6 / 2 + nc % 2;
                for (int v0 = 0; v0 < vecs; v0 += SEGMENT_VECS) {
                    final int v1 = Math.min(vecs, v0 + SEGMENT_VECS);
                    // The segment read after this one, prefetched a share per token pass (see CachePrefetch): the
                    // next of this block, else the first for the next token chunk or the next block.
                    final int next;
                    if (v1 < vecs) {
                        next = segmentStart(base, v1);
                    } else if (tc + CHUNK_TOKENS < n) {
                        next = base;
                    } else if (rb + L < r1) {
                        next = base + pack.blockSize();
                    } else {
                        next = -1;
                    }
                    final int nextLength = next < 0 ? 0 : segmentLength;
                    int t = 0, pass = 0;
                    if (eights) {
                        for (; t + 8 <= nc; t += 8) {
                            prefetch(pack, next, nextLength, pass++, passes);
                            tokens8(w, pos, base, v0, v1, k, x, tc + t, sums, t * L);
                        }
                    }
                    for (; t + 6 <= nc; t += 6) {
                        prefetch(pack, next, nextLength, pass++, passes);
                        tokens6(w, pos, base, v0, v1, k, x, tc + t, sums, t * L);
                    }
                    for (; t + 2 <= nc; t += 2) {
                        prefetch(pack, next, nextLength, pass++, passes);
                        tokens2(w, pos, base, v0, v1, k, x, tc + t, sums, t * L);
                    }
                    for (; t < nc; t++) {
                        prefetch(pack, next, nextLength, pass++, passes);
                        tokens1(w, pos, base, v0, v1, k, x, tc + t, sums, t * L);
                    }
                }
                for (int t = 0; t < nc; t++) {
                    MemorySegment.copy(sums, t * L, y, JF, 4L * m * (tc + t) + 4L * rb, L);
                }
            }
            if (pack.groups < k / 4) {
                tailGroups(vals, codes, bf16, k, x, n, y, m, rb, pack.groups);
            }
        }
    }

    /** Index in the pack of activation vector {@code v}'s first entry, in the block starting at {@code base}. */
    private static int segmentStart(int base, int v) {
        return base + 2 * v * GPV * L;
    }

    /**
     * Prefetches pass {@code pass}'s share (of {@code passes}) of the pack entries [from, from + length): their
     * values and positions, at most {@link #PREFETCH_VALUE_LINES} lines of values and a quarter of that of
     * positions per call. Spread over the passes, because a burst of a whole segment's lines (80 at 512 bits) fills
     * the core's line-fill buffers and stalls the loads of the segment being computed.
     */
    private static void prefetch(Sparse24RowPack pack, int from, int length, int pass, int passes) {
        if (length > 0) {
            final long v0 = 4L * from + 4L * length * pass / passes, v1 = 4L * from + 4L * length * (pass + 1) / passes;
            final long p0 = from + (long) length * pass / passes, p1 = from + (long) length * (pass + 1) / passes;
            CachePrefetch.lines(pack.valueBytes, v0, Math.min(PREFETCH_VALUE_LINES, lines(v1 - v0)),
                    pack.positionBytes, p0, Math.min(PREFETCH_VALUE_LINES / 4, lines(p1 - p0)));
        }
    }

    private static long lines(long bytes) {
        return (bytes + 63) / 64;
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

    /**
     * Tokens t..t+5, rows [rb, rb + L), activation vectors [v0, v1): adds block . x_t over them to the sums at
     * s[so + i*L ..] of token t+i.
     */
    private static void tokens6(float[] w, byte[] pos, int base, int v0, int v1, int k, MemorySegment x, int t,
                                float[] s, int so) {
        final long xr = 4L * k;
        final long x0 = xr * t;
        FloatVector a0 = FloatVector.fromArray(FS, s, so), a1 = FloatVector.fromArray(FS, s, so + L);
        FloatVector a2 = FloatVector.fromArray(FS, s, so + 2 * L), a3 = FloatVector.fromArray(FS, s, so + 3 * L);
        FloatVector a4 = FloatVector.fromArray(FS, s, so + 4 * L), a5 = FloatVector.fromArray(FS, s, so + 5 * L);
        for (int v = v0; v < v1; v++) {
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
        a0.intoArray(s, so);
        a1.intoArray(s, so + L);
        a2.intoArray(s, so + 2 * L);
        a3.intoArray(s, so + 3 * L);
        a4.intoArray(s, so + 4 * L);
        a5.intoArray(s, so + 5 * L);
    }

    /**
     * As {@link #tokens6} for tokens t..t+7. Every vector operation is written out in the loop (no {@link #pick} or
     * {@link #positions}) and each sum is cast to its exact class: with the helpers the body passes C2's parse-time
     * node cutoff and its vectors come out boxed (15x slower), and the casts keep the late-inlined FMAs intrinsic
     * without type profiles (as in {@link Sparse24Gemv}).
     */
    private static void tokens8(float[] w, byte[] pos, int base, int v0, int v1, int k, MemorySegment x, int t,
                                float[] s, int so) {
        final long xr = 4L * k;
        final long x0 = xr * t;
        FloatVector a0 = FloatVector.fromArray(FS, s, so), a1 = FloatVector.fromArray(FS, s, so + L);
        FloatVector a2 = FloatVector.fromArray(FS, s, so + 2 * L), a3 = FloatVector.fromArray(FS, s, so + 3 * L);
        FloatVector a4 = FloatVector.fromArray(FS, s, so + 4 * L), a5 = FloatVector.fromArray(FS, s, so + 5 * L);
        FloatVector a6 = FloatVector.fromArray(FS, s, so + 6 * L), a7 = FloatVector.fromArray(FS, s, so + 7 * L);
        for (int v = v0; v < v1; v++) {
            final long xo = x0 + 4L * L * v;
            final IntVector x0v = xv(x, xo), x1v = xv(x, xo + xr), x2v = xv(x, xo + 2 * xr), x3v = xv(x, xo + 3 * xr);
            final IntVector x4v = xv(x, xo + 4 * xr), x5v = xv(x, xo + 5 * xr), x6v = xv(x, xo + 6 * xr), x7v = xv(x, xo + 7 * xr);
            for (int q = 0; q < GPV; q++) {
                final int at = base + 2 * (v * GPV + q) * L;
                final IntVector p0 = (IntVector) ByteVector.fromArray(BS, pos, at).convertShape(VectorOperators.B2I, IS, 0);
                final IntVector p1 = (IntVector) ByteVector.fromArray(BS, pos, at + L).convertShape(VectorOperators.B2I, IS, 0);
                final FloatVector w0 = FloatVector.fromArray(FS, w, at), w1 = FloatVector.fromArray(FS, w, at + L);
                a0 = (FloatVector) EXACT.cast(p1.selectFrom(x0v).reinterpretAsFloats().fma(w1, p0.selectFrom(x0v).reinterpretAsFloats().fma(w0, a0)));
                a1 = (FloatVector) EXACT.cast(p1.selectFrom(x1v).reinterpretAsFloats().fma(w1, p0.selectFrom(x1v).reinterpretAsFloats().fma(w0, a1)));
                a2 = (FloatVector) EXACT.cast(p1.selectFrom(x2v).reinterpretAsFloats().fma(w1, p0.selectFrom(x2v).reinterpretAsFloats().fma(w0, a2)));
                a3 = (FloatVector) EXACT.cast(p1.selectFrom(x3v).reinterpretAsFloats().fma(w1, p0.selectFrom(x3v).reinterpretAsFloats().fma(w0, a3)));
                a4 = (FloatVector) EXACT.cast(p1.selectFrom(x4v).reinterpretAsFloats().fma(w1, p0.selectFrom(x4v).reinterpretAsFloats().fma(w0, a4)));
                a5 = (FloatVector) EXACT.cast(p1.selectFrom(x5v).reinterpretAsFloats().fma(w1, p0.selectFrom(x5v).reinterpretAsFloats().fma(w0, a5)));
                a6 = (FloatVector) EXACT.cast(p1.selectFrom(x6v).reinterpretAsFloats().fma(w1, p0.selectFrom(x6v).reinterpretAsFloats().fma(w0, a6)));
                a7 = (FloatVector) EXACT.cast(p1.selectFrom(x7v).reinterpretAsFloats().fma(w1, p0.selectFrom(x7v).reinterpretAsFloats().fma(w0, a7)));
            }
        }
        a0.intoArray(s, so);
        a1.intoArray(s, so + L);
        a2.intoArray(s, so + 2 * L);
        a3.intoArray(s, so + 3 * L);
        a4.intoArray(s, so + 4 * L);
        a5.intoArray(s, so + 5 * L);
        a6.intoArray(s, so + 6 * L);
        a7.intoArray(s, so + 7 * L);
    }

    private static void tokens2(float[] w, byte[] pos, int base, int v0, int v1, int k, MemorySegment x, int t,
                                float[] s, int so) {
        final long xr = 4L * k;
        final long x0 = xr * t;
        FloatVector a0 = FloatVector.fromArray(FS, s, so), a1 = FloatVector.fromArray(FS, s, so + L);
        for (int v = v0; v < v1; v++) {
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
        a0.intoArray(s, so);
        a1.intoArray(s, so + L);
    }

    private static void tokens1(float[] w, byte[] pos, int base, int v0, int v1, int k, MemorySegment x, int t,
                                float[] s, int so) {
        final long xr = 4L * k;
        final long x0 = xr * t;
        FloatVector a0 = FloatVector.fromArray(FS, s, so);
        for (int v = v0; v < v1; v++) {
            long xo = x0 + 4L * L * v;
            IntVector x0v = xv(x, xo);
            for (int q = 0; q < GPV; q++) {
                int at = base + 2 * (v * GPV + q) * L;
                IntVector p0 = positions(pos, at), p1 = positions(pos, at + L);
                FloatVector w0 = FloatVector.fromArray(FS, w, at), w1 = FloatVector.fromArray(FS, w, at + L);
                a0 = pick(p1, x0v).fma(w1, pick(p0, x0v).fma(w0, a0));
            }
        }
        a0.intoArray(s, so);
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
