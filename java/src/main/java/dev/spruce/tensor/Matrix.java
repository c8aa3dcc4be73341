package dev.spruce.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A dense row-major matrix in a 64-byte-aligned off-heap {@link MemorySegment}.
 *
 * <p>Weights are stored rows = out-features, cols = in-features (the PyTorch {@code Linear} convention).
 * Activation batches are stored one token per row. The memory belongs to a shared arena so the
 * multi-threaded kernels can read it from any thread; {@link #close()} frees it, after which every
 * access fails with {@link IllegalStateException} instead of touching freed memory.
 */
public final class Matrix implements AutoCloseable {
    /** Alignment of every matrix's first element: one cache line, one AVX-512 vector. */
    public static final long ALIGNMENT = 64;

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;

    private final int rows;
    private final int cols;
    private final DType dtype;
    private final Arena arena;
    /** False for scratch matrices (automatic arena) and views: close() then frees nothing. */
    private final boolean freeOnClose;
    /** The matrix a view shares memory with, else null. */
    private final Matrix parent;
    private final MemorySegment segment;
    private volatile boolean closed;

    private Matrix(int rows, int cols, DType dtype) {
        this(rows, cols, dtype, false);
    }

    /** A new zero-filled matrix; {@code auto}: in an automatic arena (freed by the GC), else a shared one. */
    private Matrix(int rows, int cols, DType dtype, boolean auto) {
        checkShape(rows, cols);
        if (dtype == null) {
            throw new IllegalArgumentException("dtype must not be null");
        }
        this.rows = rows;
        this.cols = cols;
        this.dtype = dtype;
        this.arena = auto ? Arena.ofAuto() : Arena.ofShared();
        this.freeOnClose = !auto;
        this.parent = null;
        long bytes = Math.max(1L, (long) rows * cols * dtype.bytes());
        this.segment = NativeMemory.allocate(arena, bytes, ALIGNMENT); // zero-filled
    }

    /** A view of the first {@code rows} rows of {@code parent}. */
    private Matrix(Matrix parent, int rows) {
        this.rows = rows;
        this.cols = parent.cols;
        this.dtype = parent.dtype;
        this.arena = null;
        this.freeOnClose = false;
        this.parent = parent;
        this.segment = parent.segment.asSlice(0, (long) rows * cols * dtype.bytes());
    }

    /**
     * A zero-filled matrix for scratch space that a thread reuses across calls: its memory is freed by the garbage
     * collector once the matrix is unreachable, and {@link #close()} only marks it closed. Allocating and closing an
     * ordinary matrix costs tens of microseconds (closing its shared arena synchronises with every thread), too
     * much for activations allocated per forward pass.
     */
    public static Matrix scratch(int rows, int cols, DType dtype) {
        return new Matrix(rows, cols, dtype, true);
    }

    /**
     * The first {@code n} rows of this matrix as a matrix sharing its memory (writes show in both). Closing the
     * view frees nothing; closing this matrix closes the view too.
     */
    public Matrix topRows(int n) {
        requireOpen();
        if (n <= 0 || n > rows) {
            throw new IllegalArgumentException("topRows(" + n + ") of a " + shapeString() + " matrix");
        }
        return new Matrix(this, n);
    }

    private static void checkShape(int rows, int cols) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("matrix shape must be positive, got " + rows + "x" + cols);
        }
    }

    /** A zero-filled matrix. */
    public static Matrix allocate(int rows, int cols, DType dtype) {
        return new Matrix(rows, cols, dtype);
    }

    /** A matrix holding {@code data} (row-major, length rows*cols) rounded to {@code dtype}. */
    public static Matrix of(float[] data, int rows, int cols, DType dtype) {
        checkShape(rows, cols);
        if (data == null) {
            throw new IllegalArgumentException("data must not be null");
        }
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("data has " + data.length + " elements but shape "
                    + rows + "x" + cols + " needs " + (long) rows * cols);
        }
        Matrix m = new Matrix(rows, cols, dtype);
        m.copyFrom(data);
        return m;
    }

    /** A float32 matrix holding {@code data}. */
    public static Matrix of(float[] data, int rows, int cols) {
        return of(data, rows, cols, DType.F32);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public DType dtype() {
        return dtype;
    }

    /** Number of elements. */
    public long size() {
        return (long) rows * cols;
    }

    /** Bytes of element storage (rows * cols * dtype size). */
    public long byteSize() {
        return size() * dtype.bytes();
    }

    /** Bytes between the starts of consecutive rows. */
    public long rowStrideBytes() {
        return (long) cols * dtype.bytes();
    }

    public boolean isClosed() {
        return closed || (parent != null && parent.isClosed());
    }

    /** The backing memory; throws if the matrix is closed. Kernels read and write it directly. */
    public MemorySegment segment() {
        requireOpen();
        return segment;
    }

    /** Throws {@link IllegalStateException} naming the shape if this matrix was closed. */
    public void requireOpen() {
        if (isClosed()) {
            throw new IllegalStateException("matrix " + shapeString() + " " + dtype + " is closed");
        }
    }

    public String shapeString() {
        return rows + "x" + cols;
    }

    private long index(int r, int c) {
        if (r < 0 || r >= rows || c < 0 || c >= cols) {
            throw new IndexOutOfBoundsException("index (" + r + ", " + c + ") outside matrix " + shapeString());
        }
        return (long) r * cols + c;
    }

    /** Element (r, c) widened to float. */
    public float get(int r, int c) {
        requireOpen();
        return getFlat(index(r, c));
    }

    /** Sets element (r, c), rounding to this matrix's dtype (nearest even). */
    public void set(int r, int c, float v) {
        requireOpen();
        setFlat(index(r, c), v);
    }

    private float getFlat(long i) {
        return switch (dtype) {
            case F32 -> segment.getAtIndex(F32, i);
            case BF16 -> HalfFloats.bf16ToFloat(segment.getAtIndex(U16, i));
            case F16 -> HalfFloats.f16ToFloat(segment.getAtIndex(U16, i));
        };
    }

    private void setFlat(long i, float v) {
        switch (dtype) {
            case F32 -> segment.setAtIndex(F32, i, v);
            case BF16 -> segment.setAtIndex(U16, i, HalfFloats.floatToBf16(v));
            case F16 -> segment.setAtIndex(U16, i, HalfFloats.floatToF16(v));
        }
    }

    /** Overwrites the whole matrix from a row-major array of length rows*cols. */
    public void copyFrom(float[] data) {
        requireOpen();
        if (data.length != size()) {
            throw new IllegalArgumentException("array has " + data.length + " elements, matrix "
                    + shapeString() + " has " + size());
        }
        if (dtype == DType.F32) {
            MemorySegment.copy(data, 0, segment, F32, 0, data.length);
        } else {
            for (int i = 0; i < data.length; i++) {
                setFlat(i, data[i]);
            }
        }
    }

    /** Copies the whole matrix out as row-major floats. */
    public float[] toFloatArray() {
        requireOpen();
        float[] out = new float[Math.toIntExact(size())];
        if (dtype == DType.F32) {
            MemorySegment.copy(segment, F32, 0, out, 0, out.length);
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = getFlat(i);
            }
        }
        return out;
    }

    /** Copies row r out as floats. */
    public float[] row(int r) {
        requireOpen();
        index(r, 0);
        float[] out = new float[cols];
        long base = (long) r * cols;
        if (dtype == DType.F32) {
            MemorySegment.copy(segment, F32, base * 4, out, 0, cols);
        } else {
            for (int c = 0; c < cols; c++) {
                out[c] = getFlat(base + c);
            }
        }
        return out;
    }

    /** Adds {@code v} (length cols) to every row of this F32 matrix (a bias). */
    public void addToRows(float[] v) {
        requireOpen();
        if (dtype != DType.F32) {
            throw new IllegalArgumentException("addToRows needs an F32 matrix, this one is " + dtype);
        }
        if (v == null || v.length != cols) {
            throw new IllegalArgumentException("a row vector for " + shapeString() + " needs " + cols + " values, got "
                    + (v == null ? "null" : v.length));
        }
        // Through a heap row: element-wise segment get/set stayed scalar and showed in batch-1 profiles.
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            long base = 4L * r * cols;
            MemorySegment.copy(segment, F32, base, row, 0, cols);
            for (int c = 0; c < cols; c++) {
                row[c] += v[c];
            }
            MemorySegment.copy(row, 0, segment, F32, base, cols);
        }
    }

    /** A new matrix with the same values rounded to {@code target} (a copy even when the dtype is the same). */
    public Matrix convert(DType target) {
        return of(toFloatArray(), rows, cols, target);
    }

    /** A new matrix equal to this one's transpose (same dtype, values copied exactly). */
    public Matrix transpose() {
        requireOpen();
        Matrix t = new Matrix(cols, rows, dtype);
        int eb = dtype.bytes();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                MemorySegment.copy(segment, ((long) r * cols + c) * eb, t.segment, ((long) c * rows + r) * eb, eb);
            }
        }
        return t;
    }

    /** Fills every element with {@code v} (used to poison outputs in tests). */
    public void fill(float v) {
        requireOpen();
        for (long i = 0, n = size(); i < n; i++) {
            setFlat(i, v);
        }
    }

    /** Frees the memory. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            synchronized (this) {
                if (!closed) {
                    closed = true;
                    if (freeOnClose) {
                        arena.close();
                    }
                }
            }
        }
    }

    @Override
    public String toString() {
        return "Matrix[" + shapeString() + ", " + dtype + (isClosed() ? ", closed]" : "]");
    }
}
