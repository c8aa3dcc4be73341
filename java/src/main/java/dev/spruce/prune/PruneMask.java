package dev.spruce.prune;

import java.util.Arrays;

/** Which weights of an M x K matrix are kept (bit set) or pruned (clear), one bit per weight, row-major. */
public final class PruneMask {
    private final int rows;
    private final int cols;
    private final long[] bits;

    PruneMask(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        this.bits = new long[(int) (((long) rows * cols + 63) >>> 6)];
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public boolean kept(int r, int c) {
        long i = index(r, c);
        return (bits[(int) (i >>> 6)] >>> (i & 63) & 1L) != 0;
    }

    void set(int r, int c, boolean keep) {
        long i = index(r, c);
        if (keep) {
            bits[(int) (i >>> 6)] |= 1L << (i & 63);
        } else {
            bits[(int) (i >>> 6)] &= ~(1L << (i & 63));
        }
    }

    private long index(int r, int c) {
        if (r < 0 || r >= rows || c < 0 || c >= cols) {
            throw new IndexOutOfBoundsException("(" + r + ", " + c + ") outside mask " + rows + "x" + cols);
        }
        return (long) r * cols + c;
    }

    /** Number of kept weights. */
    public long keptCount() {
        long n = 0;
        for (long w : bits) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /** Fraction of weights pruned. */
    public double sparsity() {
        return 1.0 - (double) keptCount() / ((long) rows * cols);
    }

    /**
     * Whether the mask obeys {@code pattern}: for N:M, exactly N kept in every group; for unstructured,
     * at most the kept count the ratio allows over the whole matrix (pruners pick scopes finer than
     * the matrix, each rounding its prune count down, so they can keep a few more, never fewer).
     */
    public boolean satisfies(Pattern pattern) {
        return switch (pattern) {
            case Pattern.NM nm -> {
                if (cols % nm.m() != 0) {
                    yield false;
                }
                for (int r = 0; r < rows; r++) {
                    for (int g = 0; g < cols; g += nm.m()) {
                        int kept = 0;
                        for (int j = 0; j < nm.m(); j++) {
                            kept += kept(r, g + j) ? 1 : 0;
                        }
                        if (kept != nm.n()) {
                            yield false;
                        }
                    }
                }
                yield true;
            }
            case Pattern.Unstructured u ->
                    keptCount() >= (long) rows * cols - (long) Math.floor(u.sparsity() * rows * cols);
            case Pattern.Block b -> satisfiesBlocks(b);
        };
    }

    /** Every block all kept or all pruned, and exactly the blocks the pattern removes are removed. */
    private boolean satisfiesBlocks(Pattern.Block b) {
        int bh = b.blockHeight();
        int bw = b.blockWidth();
        if (rows % bh != 0 || cols % bw != 0) {
            return false;
        }
        int removed = 0;
        for (int r0 = 0; r0 < rows; r0 += bh) {
            for (int c0 = 0; c0 < cols; c0 += bw) {
                boolean first = kept(r0, c0);
                for (int r = r0; r < r0 + bh; r++) {
                    for (int c = c0; c < c0 + bw; c++) {
                        if (kept(r, c) != first) {
                            return false;
                        }
                    }
                }
                removed += first ? 0 : 1;
            }
        }
        return removed == b.removedBlocks(b.blocks(rows, cols));
    }

    /**
     * The block keep-mask (blockRows x blockCols, row-major; true = kept) of a mask that obeys block pattern
     * {@code b}, as BlockSparse.fromDense takes it.
     *
     * @throws IllegalArgumentException if the shape does not tile or a block is partly kept
     */
    public boolean[] blockKeep(int blockHeight, int blockWidth) {
        if (blockHeight < 1 || blockWidth < 1 || rows % blockHeight != 0 || cols % blockWidth != 0) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " mask does not tile into " + blockHeight
                    + "x" + blockWidth + " blocks");
        }
        int br = rows / blockHeight;
        int bc = cols / blockWidth;
        boolean[] out = new boolean[br * bc];
        for (int i = 0; i < br; i++) {
            for (int j = 0; j < bc; j++) {
                int r0 = i * blockHeight;
                int c0 = j * blockWidth;
                boolean first = kept(r0, c0);
                for (int r = r0; r < r0 + blockHeight; r++) {
                    for (int c = c0; c < c0 + blockWidth; c++) {
                        if (kept(r, c) != first) {
                            throw new IllegalArgumentException("block (" + i + ", " + j + ") of " + blockHeight + "x"
                                    + blockWidth + " is partly kept (first difference at row " + r + ", column " + c + ")");
                        }
                    }
                }
                out[i * bc + j] = first;
            }
        }
        return out;
    }

    /** The mask as row-major booleans (true = kept). */
    public boolean[] toBooleanArray() {
        boolean[] out = new boolean[Math.toIntExact((long) rows * cols)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (bits[i >>> 6] >>> (i & 63) & 1L) != 0;
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PruneMask m && m.rows == rows && m.cols == cols && Arrays.equals(m.bits, bits);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bits) * 31 + rows * 17 + cols;
    }

    @Override
    public String toString() {
        return "PruneMask[" + rows + "x" + cols + ", kept " + keptCount() + "]";
    }
}
