package dev.spruce.kernel.vector;

import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;

import java.lang.foreign.MemorySegment;

/**
 * A {@link Sparse24} layer re-laid out for {@link Sparse24TokenGemm}, in the order that kernel reads it: tile by
 * tile of {@link #KT} k, and inside a tile row by row, each row's kept values (widened to f32) and, in a parallel
 * byte array, each kept value's k inside the tile (4 * group + the kept column within the group).
 *
 * <p>Why a copy: the kernel runs a tile's rows one after another, and in the layout's row-major order consecutive
 * rows of a tile lie K/2 values apart, a stride the hardware prefetchers do not follow: reading the layout in
 * place ran 4096x4096 x 256 tokens at 75-82 dense-equivalent GFLOP/s, this copy at 175-185 (2026-11-30). Built
 * once per layer and kept by the backend next to the layer, as {@link Sparse24RowPack} is. Size: 5 bytes per
 * kept value; the last tile holds only the groups K has.
 */
final class Sparse24TokenPack {
    /** k per tile. */
    static final int KT = 64;

    final int rows;
    final int cols;
    /** Kept values of tile j, row r: values[at(j, r) + e] for e in [0, kept(j)). */
    final float[] values;
    /** Same indexing as {@link #values}: the kept value's k inside its tile, 0..KT-1. */
    final byte[] positions;

    private Sparse24TokenPack(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        long size = (long) rows * (cols / 2);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("2:4 layer of " + rows + " rows x " + cols
                    + " columns is too large for the many-token CPU kernel's repacked copy");
        }
        this.values = new float[(int) size];
        this.positions = new byte[(int) size];
    }

    static Sparse24TokenPack allocate(Sparse24 s) {
        return new Sparse24TokenPack(s.rows(), s.cols());
    }

    /** Tiles over K (the last may be partial). */
    int tiles() {
        return (cols + KT - 1) / KT;
    }

    /** Kept values per row in tile j. */
    int kept(int j) {
        return Math.min(KT, cols - j * KT) / 2;
    }

    /** Index of row r's first kept value in tile j. */
    int at(int j, int r) {
        return j * (KT / 2) * rows + r * kept(j);
    }

    /** Fills rows [r0, r1) from the layout; row ranges may be filled in parallel. */
    void fill(Sparse24 s, int r0, int r1) {
        final MemorySegment vals = s.values();
        final MemorySegment codes = s.codes();
        final boolean bf16 = s.valueType() == DType.BF16;
        final int words = Sparse24.wordsPerRow(cols);
        for (int r = r0; r < r1; r++) {
            final long vRow = (long) r * (cols / 2);
            final long cRow = (long) r * words;
            for (int j = 0; j < tiles(); j++) {
                final int at = at(j, r);
                for (int e = 0; e < kept(j); e++) {
                    final int g = j * (KT / 4) + e / 2;
                    final int code = Sparse24Scalar.code(codes, cRow, g);
                    positions[at + e] = (byte) (4 * (e / 2) + ((e & 1) == 0 ? code & 3 : code >>> 2));
                    values[at + e] = Sparse24Scalar.value(vals, bf16, vRow + 2L * g + (e & 1));
                }
            }
        }
    }
}
