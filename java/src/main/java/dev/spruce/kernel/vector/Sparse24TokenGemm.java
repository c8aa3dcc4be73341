package dev.spruce.kernel.vector;

import dev.spruce.tensor.NativeMemory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Y = S X for a {@link dev.spruce.layout.Sparse24} S and many tokens, with vector lanes over tokens: for each kept
 * value of a row, one broadcast of the value and one FMA per vector of tokens, whose other operand is the activation
 * row the kept value's code names, loaded from a transposed tile of the tokens.
 *
 * <p>Why this shape for many tokens: a kept value costs an FMA per token vector (its load folds into the FMA),
 * where {@link Sparse24RowGemm} spends a lane permute and an FMA, and on AVX-512 cores the permutes and half the
 * FMAs share one port, which holds that kernel near the dense GEMM's rate. Here the dropped half of W costs
 * nothing. The price is a data-dependent load per FMA, and in Java each such load carries a bounds check (a
 * compare and branch, on the port the other half of the FMAs use): with them this kernel was no faster than
 * the row kernel (166 vs 150-168 dense-equivalent GFLOP/s in L1, measured 2026-11-30). So the tile lives in
 * {@link #SCRATCH}, a {@code static final} native segment: its size is a JIT constant, and offsets masked into
 * it ({@code & (KT - 1)} for the k, {@code & (SLOTS - 1)} for the slot) let C2 prove every load in bounds and drop
 * the checks (187-212 GFLOP/s in L1; 4096x4096 x 256 tokens 175-181 vs the row kernel's 132-139). The masks also
 * mean a load can never leave the scratch, whatever the codes say.
 *
 * <p>Work: the caller transposes a block of up to 8 vectors of tokens once ({@code xt}, K rows of token columns);
 * each call here claims a slot of the scratch and, per tile of 64 k, copies the tile's rows into it (32 KB at 512
 * bits: L1) and runs its rows over it, reading their kept values and positions from the layer's
 * {@link Sparse24TokenPack} in order and accumulating in the thread's rows x tokens sums (512 rows at a time, so
 * they stay in L2). Loaded once per vector width by {@link WidthSpecialized}; the scratch is per width (1 MB of
 * native memory at 512 bits, never freed).
 */
final class Sparse24TokenGemm implements Sparse24TokenKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final int L = FS.length();
    /** Token vectors per block. */
    private static final int VECTORS = 8;
    private static final int TB = VECTORS * L;
    /** Bytes per token vector. */
    private static final long VB = 4L * L;
    /** k per tile: the pack's tiles. */
    private static final int KT = Sparse24TokenPack.KT;
    /** Bytes per k row of a tile (TB f32 token columns), and per tile. */
    private static final long ROW = 4L * TB;
    private static final long SLOT = KT * ROW;
    /** Concurrent calls the scratch serves; a 33rd waits for a slot. A power of two (the slot index is masked). */
    private static final int SLOTS = 32;
    /** Below 2 GB where possible, so each load's address constant fits in its instruction (see NativeMemory). */
    private static final MemorySegment SCRATCH = NativeMemory.allocateLowForever(SLOTS * SLOT);
    /** Rows per pass over the tiles: their sums (rows x TB f32, 256 KB at 512 bits) stay in L2. */
    private static final int ROW_CHUNK = 512;
    /** Each thread's row sums, kept between calls (256 KB at 512 bits) so a call allocates nothing. */
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[ROW_CHUNK * TB]);
    /** Lane i of a token's activation vector goes to row kk + i of the transposed block (and of the row sums). */
    private static final int[] SPREAD = spread();
    /** Bit s set: slot s is in use. */
    private static final AtomicInteger BUSY = new AtomicInteger();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat JF = ValueLayout.JAVA_FLOAT;

    Sparse24TokenGemm() {
    }

    @Override
    public String toString() {
        return "Sparse24TokenGemm[" + BITS + " bits]";
    }

    @Override
    public int blockTokens() {
        return TB;
    }

    @Override
    public void rows(Sparse24TokenPack pack, float[] xt, int t0, int nt, MemorySegment y, int r0, int r1) {
        final int slot = claim();
        try {
            final float[] acc = SUMS.get();
            for (int c0 = r0; c0 < r1; c0 += ROW_CHUNK) {
                final int c1 = Math.min(r1, c0 + ROW_CHUNK);
                Arrays.fill(acc, 0, (c1 - c0) * TB, 0f);
                chunk(pack, xt, t0, nt, y, c0, c1, slot, acc);
            }
        } finally {
            release(slot);
        }
    }

    /** Rows [r0, r1) over every tile, then their sums into y. */
    private static void chunk(Sparse24TokenPack pack, float[] xt, int t0, int nt, MemorySegment y, int r0,
                              int r1, int slot, float[] acc) {
        final int vectors = (nt + L - 1) / L;
        final float[] w = pack.values;
        final byte[] pos = pack.positions;
        for (int j = 0; j < pack.tiles(); j++) {
            final int kept = pack.kept(j);
            copyTile(xt, j, 2 * kept, vectors, slot);
            final int at = pack.at(j, r0);
            if (vectors > 4) {
                tile8(w, pos, at, kept, slot, acc, r1 - r0);
            } else if (vectors > 2) {
                tile4(w, pos, at, kept, slot, acc, r1 - r0);
            } else if (vectors == 2) {
                tile2(w, pos, at, kept, slot, acc, r1 - r0);
            } else {
                tile1(w, pos, at, kept, slot, acc, r1 - r0);
            }
        }
        final int m = pack.rows;
        // L rows at a time, each token's L sums gathered from the rows' sums into one vector of y. Element by
        // element this took as long as the products on 64-row chunks (384x384 x 800 tokens on two threads).
        int r = r0;
        for (; r + L <= r1; r += L) {
            for (int t = 0; t < nt; t++) {
                FloatVector.fromArray(FS, acc, (r - r0) * TB + t, SPREAD, 0)
                        .intoMemorySegment(y, 4L * ((long) (t0 + t) * m + r), LE);
            }
        }
        for (; r < r1; r++) {
            for (int t = 0; t < nt; t++) {
                y.set(JF, 4L * ((long) (t0 + t) * m + r), acc[(r - r0) * TB + t]);
            }
        }
    }

    private static int[] spread() {
        int[] s = new int[L];
        for (int i = 0; i < L; i++) {
            s[i] = i * TB;
        }
        return s;
    }

    @Override
    public void transpose(MemorySegment x, int k, int t0, int nt, float[] xt, int k0, int k1) {
        // L k at a time for every token, each token's L activations scattered down one column: the L rows being
        // written (8 KB at 512 bits) stay in L1 while the tokens go by. Scalar, element by element, this step took
        // a quarter of a 384x384 x 800-token product's time on two threads.
        int kk = k0;
        for (; kk + L <= k1; kk += L) {
            for (int t = 0; t < nt; t++) {
                FloatVector.fromMemorySegment(FS, x, 4L * ((long) (t0 + t) * k + kk), LE)
                        .intoArray(xt, kk * TB + t, SPREAD, 0);
            }
        }
        for (; kk < k1; kk++) {
            for (int t = 0; t < nt; t++) {
                xt[kk * TB + t] = x.get(JF, 4L * ((long) (t0 + t) * k + kk));
            }
        }
        final int padded = Math.min(TB, (nt + L - 1) / L * L);
        for (int r = k0; r < k1; r++) {
            Arrays.fill(xt, r * TB + nt, r * TB + padded, 0f);
        }
    }

    private static int claim() {
        for (;;) {
            int busy = BUSY.get();
            int free = ~busy;
            if (free != 0) {
                int s = Integer.numberOfTrailingZeros(free);
                if (BUSY.compareAndSet(busy, busy | (1 << s))) {
                    return s;
                }
            } else {
                Thread.yield();
            }
        }
    }

    private static void release(int slot) {
        for (;;) {
            int busy = BUSY.get();
            if (BUSY.compareAndSet(busy, busy & ~(1 << slot))) {
                return;
            }
        }
    }

    /** Byte offset of a slot inside the scratch (masked: see the class comment). */
    private static long slotBase(int slot) {
        return (long) (slot & (SLOTS - 1)) * SLOT;
    }

    /** Copies k rows [j*KT, j*KT + kk) of xt, the first {@code vectors} token vectors of each, into the slot. */
    private static void copyTile(float[] xt, int j, int kk, int vectors, int slot) {
        final long sb = slotBase(slot);
        final int src = j * KT * TB;
        for (int i = 0; i < kk; i++) {
            final long d = sb + (i & (KT - 1)) * ROW;
            final int s = src + i * TB;
            for (int q = 0; q < vectors; q++) {
                FloatVector.fromArray(FS, xt, s + q * L).intoMemorySegment(SCRATCH, d + (q & (VECTORS - 1)) * VB, LE);
            }
        }
    }

    /** Scratch offset of the activation row at tile k {@code p}, masked into the tile (see the class comment). */
    private static long at(long sb, byte p) {
        return sb + (p & (KT - 1)) * ROW;
    }

    /** {@code rows} rows of one tile, 8 token vectors: acc[r * TB + t] += S[r0 + r, tile] . xt[tile, t]. */
    private static void tile8(float[] w, byte[] pos, int at, int kept, int slot, float[] acc, int rows) {
        final long sb = slotBase(slot);
        for (int r = 0; r < rows; r++, at += kept) {
            final int ao = r * TB;
            FloatVector a0 = FloatVector.fromArray(FS, acc, ao), a1 = FloatVector.fromArray(FS, acc, ao + L);
            FloatVector a2 = FloatVector.fromArray(FS, acc, ao + 2 * L), a3 = FloatVector.fromArray(FS, acc, ao + 3 * L);
            FloatVector a4 = FloatVector.fromArray(FS, acc, ao + 4 * L), a5 = FloatVector.fromArray(FS, acc, ao + 5 * L);
            FloatVector a6 = FloatVector.fromArray(FS, acc, ao + 6 * L), a7 = FloatVector.fromArray(FS, acc, ao + 7 * L);
            for (int i = at; i < at + kept; i++) {
                final long p = at(sb, pos[i]);
                final FloatVector v = FloatVector.broadcast(FS, w[i]);
                a0 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p, LE), a0);
                a1 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p + VB, LE), a1);
                a2 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p + 2 * VB, LE), a2);
                a3 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p + 3 * VB, LE), a3);
                a4 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p + 4 * VB, LE), a4);
                a5 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p + 5 * VB, LE), a5);
                a6 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p + 6 * VB, LE), a6);
                a7 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p + 7 * VB, LE), a7);
            }
            a0.intoArray(acc, ao);
            a1.intoArray(acc, ao + L);
            a2.intoArray(acc, ao + 2 * L);
            a3.intoArray(acc, ao + 3 * L);
            a4.intoArray(acc, ao + 4 * L);
            a5.intoArray(acc, ao + 5 * L);
            a6.intoArray(acc, ao + 6 * L);
            a7.intoArray(acc, ao + 7 * L);
        }
    }

    /**
     * As {@link #tile8} for up to 4 token vectors. The kept values alternate between two sets of sums (added at the
     * end): an FMA waits 4 cycles for its sum, so 4 chains would cap the core at one FMA per cycle. Kept counts are
     * even (two per group).
     */
    private static void tile4(float[] w, byte[] pos, int at, int kept, int slot, float[] acc, int rows) {
        final long sb = slotBase(slot);
        for (int r = 0; r < rows; r++, at += kept) {
            final int ao = r * TB;
            FloatVector a0 = FloatVector.fromArray(FS, acc, ao), a1 = FloatVector.fromArray(FS, acc, ao + L);
            FloatVector a2 = FloatVector.fromArray(FS, acc, ao + 2 * L), a3 = FloatVector.fromArray(FS, acc, ao + 3 * L);
            FloatVector b0 = FloatVector.zero(FS), b1 = b0, b2 = b0, b3 = b0;
            for (int i = at; i < at + kept; i += 2) {
                final long p = at(sb, pos[i]);
                final long q = at(sb, pos[i + 1]);
                final FloatVector v = FloatVector.broadcast(FS, w[i]);
                final FloatVector u = FloatVector.broadcast(FS, w[i + 1]);
                a0 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p, LE), a0);
                a1 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p + VB, LE), a1);
                a2 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p + 2 * VB, LE), a2);
                a3 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p + 3 * VB, LE), a3);
                b0 = u.fma(FloatVector.fromMemorySegment(FS, SCRATCH, q, LE), b0);
                b1 = u.fma(FloatVector.fromMemorySegment(FS, SCRATCH, q + VB, LE), b1);
                b2 = u.fma(FloatVector.fromMemorySegment(FS, SCRATCH, q + 2 * VB, LE), b2);
                b3 = u.fma(FloatVector.fromMemorySegment(FS, SCRATCH, q + 3 * VB, LE), b3);
            }
            a0.add(b0).intoArray(acc, ao);
            a1.add(b1).intoArray(acc, ao + L);
            a2.add(b2).intoArray(acc, ao + 2 * L);
            a3.add(b3).intoArray(acc, ao + 3 * L);
        }
    }

    /** As {@link #tile4} for 2 token vectors: the kept values alternate between two sets of sums, 4 chains. */
    private static void tile2(float[] w, byte[] pos, int at, int kept, int slot, float[] acc, int rows) {
        final long sb = slotBase(slot);
        for (int r = 0; r < rows; r++, at += kept) {
            final int ao = r * TB;
            FloatVector a0 = FloatVector.fromArray(FS, acc, ao), a1 = FloatVector.fromArray(FS, acc, ao + L);
            FloatVector b0 = FloatVector.zero(FS), b1 = b0;
            for (int i = at; i < at + kept; i += 2) {
                final long p = at(sb, pos[i]);
                final long q = at(sb, pos[i + 1]);
                final FloatVector v = FloatVector.broadcast(FS, w[i]);
                final FloatVector u = FloatVector.broadcast(FS, w[i + 1]);
                a0 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p, LE), a0);
                a1 = v.fma(FloatVector.fromMemorySegment(FS, SCRATCH, p + VB, LE), a1);
                b0 = u.fma(FloatVector.fromMemorySegment(FS, SCRATCH, q, LE), b0);
                b1 = u.fma(FloatVector.fromMemorySegment(FS, SCRATCH, q + VB, LE), b1);
            }
            a0.add(b0).intoArray(acc, ao);
            a1.add(b1).intoArray(acc, ao + L);
        }
    }

    /** As {@link #tile4} for 1 token vector: the kept values alternate between two chains. */
    private static void tile1(float[] w, byte[] pos, int at, int kept, int slot, float[] acc, int rows) {
        final long sb = slotBase(slot);
        for (int r = 0; r < rows; r++, at += kept) {
            final int ao = r * TB;
            FloatVector a0 = FloatVector.fromArray(FS, acc, ao);
            FloatVector b0 = FloatVector.zero(FS);
            for (int i = at; i < at + kept; i += 2) {
                a0 = FloatVector.broadcast(FS, w[i])
                        .fma(FloatVector.fromMemorySegment(FS, SCRATCH, at(sb, pos[i]), LE), a0);
                b0 = FloatVector.broadcast(FS, w[i + 1])
                        .fma(FloatVector.fromMemorySegment(FS, SCRATCH, at(sb, pos[i + 1]), LE), b0);
            }
            a0.add(b0).intoArray(acc, ao);
        }
    }
}
