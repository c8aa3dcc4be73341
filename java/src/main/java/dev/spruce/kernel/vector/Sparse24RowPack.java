package dev.spruce.kernel.vector;

import dev.spruce.layout.Sparse24;

import java.lang.foreign.MemorySegment;

/**
 * A {@link Sparse24} layer re-laid out for {@link Sparse24RowGemm}: rows in blocks of L (the vector lane count),
 * and inside a block, for each group of 4 k and each of its two kept slots, the L rows' values (widened to f32)
 * and, in a parallel byte array, each row's activation position inside its L-wide activation vector
 * (4 * (group mod L/4) + the kept column within the group).
 *
 * <p>Built once per layer and kept by the backend next to the layer (the layout is immutable: its segments are
 * handed out read-only), because rebuilding it per call costs as much as the product itself for a few tokens.
 * Size: 5 bytes per kept value (the f32 layout has 4.5), over the rows in whole blocks and the groups in whole
 * activation vectors; the remainder stays with the layout and is computed from it.
 */
final class Sparse24RowPack {
    /** Bytes past the end, so a 64-bit position load for 4-lane vectors stays inside the array. */
    private static final int POSITION_SLACK = 8;

    /** Lanes per block (rows) and the vector length the positions index into. */
    final int lanes;
    /** Rows in whole blocks. */
    final int rows;
    /** Groups of 4 k in whole activation vectors (K / lanes * lanes / 4). */
    final int groups;
    /**
     * Packs from this size (5 bytes per kept value) have the kernel prefetch its next segment; smaller ones stay in
     * a core's 2 MB L2 between calls, where the prefetch calls are pure cost: MiniLM's 1536x384 and 384x1536 (1.4 MB)
     * at 25 tokens ran 0.211-0.217 ms with them against 0.189-0.202 without (2026-11-30).
     */
    static final long PREFETCH_MIN_BYTES = 4L << 20;

    /** Whether {@link Sparse24RowGemm} prefetches this pack's next segment while computing one. */
    final boolean prefetch;
    /** Slot s of group g of block b, lane i: values[b * blockSize + (2g + s) * lanes + i]. */
    final float[] values;
    /** Same indexing as {@link #values}. */
    final byte[] positions;
    /** {@link #values} and {@link #positions} as segments, for {@link CachePrefetch}. */
    final MemorySegment valueBytes;
    final MemorySegment positionBytes;

    private Sparse24RowPack(int lanes, int rows, int groups, Boolean prefetch) {
        this.lanes = lanes;
        this.rows = rows;
        this.groups = groups;
        long size = (long) rows * groups * 2;
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("2:4 layer of " + rows + " rows x " + 4L * groups
                    + " columns is too large for the many-token CPU kernel's repacked copy");
        }
        this.values = new float[(int) size];
        this.prefetch = prefetch != null ? prefetch : 5 * size >= PREFETCH_MIN_BYTES;
        this.positions = new byte[(int) size + POSITION_SLACK];
        this.valueBytes = MemorySegment.ofArray(values);
        this.positionBytes = MemorySegment.ofArray(positions);
    }

    /** Entries per row block. */
    int blockSize() {
        return 2 * groups * lanes;
    }

    /** Packs {@code s} for {@code lanes}-wide vectors; block ranges [b0, b1) may be filled in parallel. */
    static Sparse24RowPack allocate(Sparse24 s, int lanes) {
        return new Sparse24RowPack(lanes, s.rows() / lanes * lanes, s.cols() / lanes * lanes / 4, null);
    }

    /** As {@link #allocate(Sparse24, int)}, prefetching or not whatever its size (for tests). */
    static Sparse24RowPack allocate(Sparse24 s, int lanes, boolean prefetch) {
        return new Sparse24RowPack(lanes, s.rows() / lanes * lanes, s.cols() / lanes * lanes / 4, prefetch);
    }

    /** Fills row blocks [b0, b1) from the layout. */
    void fill(Sparse24 s, int b0, int b1) {
        final MemorySegment vals = s.values();
        final MemorySegment codes = s.codes();
        final boolean bf16 = s.valueType() == dev.spruce.tensor.DType.BF16;
        final int k = s.cols();
        final int words = Sparse24.wordsPerRow(k);
        final int gpv = lanes / 4;
        for (int b = b0; b < b1; b++) {
            final int base = b * blockSize();
            for (int i = 0; i < lanes; i++) {
                final int r = b * lanes + i;
                final long vRow = (long) r * (k / 2);
                final long cRow = (long) r * words;
                for (int g = 0; g < groups; g++) {
                    int code = Sparse24Scalar.code(codes, cRow, g);
                    int p = 4 * (g % gpv);
                    int at = base + 2 * g * lanes + i;
                    positions[at] = (byte) (p + (code & 3));
                    positions[at + lanes] = (byte) (p + (code >>> 2));
                    values[at] = Sparse24Scalar.value(vals, bf16, vRow + 2L * g);
                    values[at + lanes] = Sparse24Scalar.value(vals, bf16, vRow + 2L * g + 1);
                }
            }
        }
    }
}
