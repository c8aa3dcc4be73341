package dev.spruce.layout;

import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import dev.spruce.tensor.NativeMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Blocked-ELL form of a {@link BlockSparse} matrix: every block row has the same number of block slots,
 * {@link #slotsPerRow()} (the largest kept-block count of any block row), so a tensor-core kernel gives every
 * block row identical work and finds slot s of block row i at {@code i*slots + s} with no row pointers.
 *
 * <p>Storage (off-heap, immutable): {@code colIdx} blockRows x slots ints and {@code values} blockRows x slots
 * blocks of bh x bw (row-major inside the block, the BSR block order). The real blocks of a row come first, in
 * the BSR's increasing column order; the remaining slots are padding: <b>explicit zero blocks</b> whose column
 * repeats the row's last real column (0 for an empty block row), so a kernel may multiply them without a branch
 * and without reading outside X. {@link #realBlocks(int)} says how many slots of a row are real.
 * The padding costs {@code 1 - density/ellDensity} of the work; a pruner that keeps the same number of blocks in
 * every block row ("balanced") pays nothing.
 */
public final class BlockEll implements AutoCloseable {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;

    private final int rows;
    private final int cols;
    private final int bh;
    private final int bw;
    private final int slots;
    private final DType valueType;
    private final int[] real;
    private final Arena arena;
    private final MemorySegment colIdx;
    private final MemorySegment values;
    private volatile boolean closed;

    private BlockEll(BlockSparse s, int slots) {
        this.rows = s.rows();
        this.cols = s.cols();
        this.bh = s.blockHeight();
        this.bw = s.blockWidth();
        this.slots = slots;
        this.valueType = s.valueType();
        this.real = new int[s.blockRows()];
        this.arena = Arena.ofShared();
        long n = (long) s.blockRows() * slots;
        this.colIdx = arena.allocate(Math.max(4L, 4L * n), Matrix.ALIGNMENT).asSlice(0, 4L * n);
        long vBytes = n * bh * bw * valueType.bytes();
        this.values = NativeMemory.allocate(arena, Math.max(1L, vBytes), Matrix.ALIGNMENT).asSlice(0, vBytes); // zero-filled
    }

    static BlockEll of(BlockSparse s) {
        int br = s.blockRows();
        int slots = 0;
        for (int i = 0; i < br; i++) {
            slots = Math.max(slots, s.rowPointer(i + 1) - s.rowPointer(i));
        }
        BlockEll e = new BlockEll(s, slots);
        long blockBytes = (long) s.blockHeight() * s.blockWidth() * s.valueType().bytes();
        MemorySegment src = s.values();
        for (int i = 0; i < br; i++) {
            int p0 = s.rowPointer(i);
            int n = s.rowPointer(i + 1) - p0;
            e.real[i] = n;
            int last = 0;
            for (int q = 0; q < slots; q++) {
                long slot = (long) i * slots + q;
                if (q < n) {
                    last = s.blockColumn(p0 + q);
                    MemorySegment.copy(src, (long) (p0 + q) * blockBytes, e.values, slot * blockBytes, blockBytes);
                }
                e.colIdx.setAtIndex(I32, slot, last);
            }
        }
        return e;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int blockHeight() {
        return bh;
    }

    public int blockWidth() {
        return bw;
    }

    public int blockRows() {
        return rows / bh;
    }

    public int blockCols() {
        return cols / bw;
    }

    /** Block slots per block row (real plus padding). */
    public int slotsPerRow() {
        return slots;
    }

    /** Real (non-padding) blocks in block row i; its slots 0..realBlocks(i)-1. */
    public int realBlocks(int i) {
        requireOpen();
        return real[i];
    }

    public DType valueType() {
        return valueType;
    }

    /** Block column of slot s of block row i (padding slots repeat the last real column, or 0). */
    public int blockColumn(int i, int s) {
        requireOpen();
        if (i < 0 || i >= blockRows() || s < 0 || s >= slots) {
            throw new IndexOutOfBoundsException("slot (" + i + ", " + s + ") outside " + blockRows() + "x" + slots);
        }
        return colIdx.getAtIndex(I32, (long) i * slots + s);
    }

    /** Read-only view of the block columns (blockRows x slots native ints). */
    public MemorySegment columnSegment() {
        requireOpen();
        return colIdx.asReadOnly();
    }

    /** Read-only view of the values (blockRows x slots blocks of bh x bw elements). */
    public MemorySegment values() {
        requireOpen();
        return values.asReadOnly();
    }

    /** Kept fraction counting padding: blockRows*slots / (blockRows*blockCols). */
    public double ellDensity() {
        return (double) slots / blockCols();
    }

    /** The dense M x K matrix in {@link #valueType()} (padding adds nothing; exact). */
    public Matrix toDense() {
        requireOpen();
        Matrix d = Matrix.allocate(rows, cols, valueType);
        MemorySegment ds = d.segment();
        int eb = valueType.bytes();
        for (int i = 0; i < blockRows(); i++) {
            for (int q = 0; q < real[i]; q++) {
                long slot = (long) i * slots + q;
                int j = blockColumn(i, q);
                for (int r = 0; r < bh; r++) {
                    MemorySegment.copy(values, (slot * bh * bw + (long) r * bw) * eb, ds,
                            ((long) (i * bh + r) * cols + (long) j * bw) * eb, (long) bw * eb);
                }
            }
        }
        return d;
    }

    /** Bytes of values plus column indices. */
    public long byteSize() {
        return values.byteSize() + colIdx.byteSize();
    }

    public void requireOpen() {
        if (closed) {
            throw new IllegalStateException("BlockEll " + rows + "x" + cols + " is closed");
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
        return "BlockEll[" + rows + "x" + cols + ", " + bh + "x" + bw + " blocks, " + slots + " slots/row, "
                + valueType + "]";
    }
}
