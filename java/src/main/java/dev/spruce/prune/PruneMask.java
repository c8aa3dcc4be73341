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
        };
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
