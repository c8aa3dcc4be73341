package dev.spruce.layout;

import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An n x n block-diagonal float32 matrix: n/bs dense bs x bs blocks on the diagonal, block b covering rows and
 * columns b*bs .. b*bs+bs-1 (contiguous ranges, no permutation), zeros everywhere else. These are ARMOR's
 * wrapper matrices A and B (see {@link ArmorLayout}).
 *
 * <p>Storage: the blocks back to back, off-heap, 64-byte aligned, block b row-major at element offset
 * b*bs*bs; immutable once built. Only the n*bs diagonal-block entries are stored, so applying the matrix to a
 * vector costs n*bs multiply-adds instead of n*n.
 */
public final class BlockDiagonal implements AutoCloseable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private final int n;
    private final int bs;
    private final Arena arena;
    private final MemorySegment blocks;
    /** Every block transposed (column-major blocks), made on first use by a kernel; see {@link #transposedSegment}. */
    private volatile MemorySegment transposed;
    private volatile boolean closed;

    private BlockDiagonal(int n, int bs) {
        checkShape(n, bs);
        this.n = n;
        this.bs = bs;
        this.arena = Arena.ofShared();
        this.blocks = arena.allocate((long) n * bs * 4, Matrix.ALIGNMENT);
    }

    static void checkShape(int n, int bs) {
        if (n <= 0 || bs <= 0) {
            throw new IllegalArgumentException("BlockDiagonal: size and block size must be positive, got n=" + n
                    + ", bs=" + bs);
        }
        if (n % bs != 0) {
            throw new IllegalArgumentException("BlockDiagonal: size n=" + n + " is not a multiple of the block size "
                    + bs + " (the blocks must tile the diagonal exactly)");
        }
    }

    /**
     * A copy of {@code blocks}: the n/bs blocks concatenated, block b row-major at offset b*bs*bs (length n*bs).
     * Rejects a size that is not a multiple of the block size, a wrong length and NaN or infinite entries (named by
     * block, row and column inside the block).
     */
    public static BlockDiagonal of(int n, int bs, float[] blocks) {
        checkShape(n, bs);
        if (blocks == null) {
            throw new IllegalArgumentException("BlockDiagonal: blocks must not be null");
        }
        long need = (long) n * bs;
        if (blocks.length != need) {
            throw new IllegalArgumentException("BlockDiagonal: " + n / bs + " blocks of " + bs + "x" + bs + " need "
                    + need + " floats, got " + blocks.length);
        }
        checkFinite(blocks, bs, "BlockDiagonal");
        BlockDiagonal d = new BlockDiagonal(n, bs);
        MemorySegment.copy(blocks, 0, d.blocks, F32, 0, blocks.length);
        return d;
    }

    /** The same from a segment of n*bs native floats (a safetensors tensor, read unaligned). */
    static BlockDiagonal of(int n, int bs, MemorySegment blocks, String where) {
        checkShape(n, bs);
        long need = (long) n * bs * 4;
        if (blocks.byteSize() != need) {
            throw new IllegalArgumentException(where + "block data has " + blocks.byteSize() + " bytes, "
                    + n / bs + " blocks of " + bs + "x" + bs + " F32 need " + need);
        }
        float[] a = blocks.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
        checkFinite(a, bs, where);
        BlockDiagonal d = new BlockDiagonal(n, bs);
        MemorySegment.copy(a, 0, d.blocks, F32, 0, a.length);
        return d;
    }

    private static void checkFinite(float[] a, int bs, String where) {
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i])) {
                int bb = bs * bs;
                throw new IllegalArgumentException(where + ": non-finite value " + a[i] + " at block " + i / bb
                        + ", row " + (i % bb) / bs + ", column " + i % bs);
            }
        }
    }

    /** The n x n identity with blocks of bs (the wrapper that leaves ARMOR's core unchanged). */
    public static BlockDiagonal identity(int n, int bs) {
        BlockDiagonal d = new BlockDiagonal(n, bs); // zero-filled
        for (int b = 0; b < n / bs; b++) {
            for (int i = 0; i < bs; i++) {
                d.blocks.setAtIndex(F32, (long) b * bs * bs + (long) i * bs + i, 1f);
            }
        }
        return d;
    }

    /** Matrix size n (rows = columns). */
    public int n() {
        return n;
    }

    public int blockSize() {
        return bs;
    }

    /** Number of diagonal blocks, n / bs. */
    public int blocks() {
        return n / bs;
    }

    /** Element (r, c) of block {@code block}, i.e. matrix element (block*bs + r, block*bs + c). */
    public float get(int block, int r, int c) {
        requireOpen();
        if (block < 0 || block >= n / bs || r < 0 || r >= bs || c < 0 || c >= bs) {
            throw new IndexOutOfBoundsException("(" + block + ", " + r + ", " + c + ") outside " + this);
        }
        return blocks.getAtIndex(F32, (long) block * bs * bs + (long) r * bs + c);
    }

    /** Read-only view of the blocks (n*bs floats, block b row-major at element b*bs*bs). */
    public MemorySegment segment() {
        requireOpen();
        return blocks.asReadOnly();
    }

    /**
     * Read-only view of the same blocks each transposed: block b at element b*bs*bs holds D_b column-major
     * (element c*bs + r is D_b[r, c]). Made once, on first call, and freed with this matrix.
     *
     * <p>WHY: a product with few tokens is fastest in the "axpy" form, y_slab += D_b[:, c] * x[c], which needs a
     * block's columns contiguous; the dot form over rows instead pays a horizontal lane sum per output row, which
     * measured 4x slower than a dense GEMV per byte at bs 32 (2026-11-30). The cache costs n*bs*4 bytes once.
     */
    public MemorySegment transposedSegment() {
        requireOpen();
        MemorySegment t = transposed;
        if (t == null) {
            synchronized (this) {
                requireOpen();
                t = transposed;
                if (t == null) {
                    t = arena.allocate((long) n * bs * 4, Matrix.ALIGNMENT);
                    for (int b = 0; b < n / bs; b++) {
                        long o = (long) b * bs * bs;
                        for (int r = 0; r < bs; r++) {
                            for (int c = 0; c < bs; c++) {
                                t.setAtIndex(F32, o + (long) c * bs + r, blocks.getAtIndex(F32, o + (long) r * bs + c));
                            }
                        }
                    }
                    transposed = t;
                }
            }
        }
        return t.asReadOnly();
    }

    /** A copy of the blocks in the layout {@link #of} takes. */
    public float[] toArray() {
        requireOpen();
        return blocks.toArray(F32);
    }

    /** The full n x n F32 matrix (zeros off the blocks); exact. */
    public Matrix toDense() {
        requireOpen();
        Matrix d = Matrix.allocate(n, n, DType.F32);
        MemorySegment ds = d.segment();
        for (int b = 0; b < n / bs; b++) {
            for (int r = 0; r < bs; r++) {
                long src = ((long) b * bs * bs + (long) r * bs) * 4;
                long dst = (((long) b * bs + r) * n + (long) b * bs) * 4;
                MemorySegment.copy(blocks, src, ds, dst, 4L * bs);
            }
        }
        return d;
    }

    /** Bytes of stored blocks: n*bs*4. */
    public long byteSize() {
        return (long) n * bs * 4;
    }

    /** Multiply-adds to apply this matrix to one vector: n*bs. */
    public long multiplyAdds() {
        return (long) n * bs;
    }

    public boolean isClosed() {
        return closed;
    }

    public void requireOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            synchronized (this) {
                if (!closed) {
                    closed = true;
                    arena.close();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "BlockDiagonal[" + n + "x" + n + ", " + n / bs + " blocks of " + bs + "x" + bs
                + (closed ? ", closed]" : "]");
    }
}
