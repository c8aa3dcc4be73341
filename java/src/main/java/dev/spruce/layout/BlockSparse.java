package dev.spruce.layout;

import dev.spruce.layout.io.SafeTensors;
import dev.spruce.layout.io.SafeTensorsReader;
import dev.spruce.layout.io.SafeTensorsWriter;
import dev.spruce.layout.io.TensorDType;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.HalfFloats;
import dev.spruce.tensor.Matrix;
import dev.spruce.tensor.NativeMemory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A block-sparse weight matrix W (rows = M out-features, cols = K in-features) in BSR form (LPViT-style blocks).
 *
 * <p>W is tiled into {@code bh x bw} blocks (block height = output rows, block width = input columns), giving
 * {@code blockRows = M/bh} by {@code blockCols = K/bw} blocks. Only the kept blocks are stored, off-heap,
 * 64-byte aligned, immutable once built:
 * <ul>
 *   <li><b>rowPtr</b>: blockRows+1 ints; the kept blocks of block row i are {@code rowPtr[i] .. rowPtr[i+1]-1},
 *       so {@code rowPtr[0] = 0}, it never decreases and {@code rowPtr[blockRows] = blockCount}.</li>
 *   <li><b>colIdx</b>: blockCount ints, the block column of each kept block, strictly increasing inside a block
 *       row (sorted, unique), each in [0, blockCols).</li>
 *   <li><b>values</b>: blockCount blocks of bh x bw elements of {@link #valueType()} (F32, BF16 or F16), block p
 *       at element offset {@code p*bh*bw}, row-major inside the block: element (r, c) of block p (W row
 *       {@code i*bh + r}, column {@code colIdx[p]*bw + c}) is at {@code p*bh*bw + r*bw + c}. A kept block is one
 *       contiguous chunk, which is what a kernel wants to stream or to stage into shared memory.</li>
 * </ul>
 *
 * <p>Block sizes: the kernels are built and tuned for 16, 32 and 64 in each direction (LPViT's 16x16, 32x32,
 * 64x64, 32x64, 64x32); the layout itself and the scalar reference accept any positive size (tests use odd ones),
 * and each backend says which sizes it runs.
 *
 * <p>M and K must be multiples of bh and bw: a partial block has no place in the block grid, and padding W
 * silently would also force every caller to pad its activations to a different K, so construction rejects it
 * with a message saying how many zero rows/columns to add (the same choice {@link Sparse24} makes for K).
 * Every transformer shape this library targets (MiniLM 384/1536, ViT-B 768/2304/3072, LLaMA 4096/11008) is a
 * multiple of 64; a model whose isn't (a 1000-class head) is padded by the caller.
 */
public final class BlockSparse implements AutoCloseable {
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;

    private final int rows;
    private final int cols;
    private final int bh;
    private final int bw;
    private final int blockCount;
    private final DType valueType;
    private final Arena arena;
    private final MemorySegment rowPtr;
    private final MemorySegment colIdx;
    private final MemorySegment values;
    private volatile boolean closed;

    private BlockSparse(int rows, int cols, int bh, int bw, int blockCount, DType valueType) {
        this.rows = rows;
        this.cols = cols;
        this.bh = bh;
        this.bw = bw;
        this.blockCount = blockCount;
        this.valueType = valueType;
        this.arena = Arena.ofShared();
        this.rowPtr = arena.allocate(4L * (rows / bh + 1), Matrix.ALIGNMENT);
        this.colIdx = arena.allocate(Math.max(4L, 4L * blockCount), Matrix.ALIGNMENT)
                .asSlice(0, 4L * blockCount);
        long vBytes = (long) blockCount * bh * bw * valueType.bytes();
        this.values = NativeMemory.allocate(arena, Math.max(1L, vBytes), Matrix.ALIGNMENT).asSlice(0, vBytes);
    }

    /** Rejects bad shapes and block sizes with a message naming the numbers; used by every factory. */
    static void checkGeometry(int rows, int cols, int bh, int bw) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("BlockSparse shape must be positive, got " + rows + "x" + cols);
        }
        if (bh <= 0 || bw <= 0) {
            throw new IllegalArgumentException("BlockSparse block size must be positive, got " + bh + "x" + bw);
        }
        if (rows % bh != 0) {
            throw new IllegalArgumentException("BlockSparse: M=" + rows + " rows is not a multiple of the block height "
                    + bh + "; pad the weights with " + (bh - rows % bh) + " zero row(s) (and drop those outputs)");
        }
        if (cols % bw != 0) {
            throw new IllegalArgumentException("BlockSparse: K=" + cols + " columns is not a multiple of the block width "
                    + bw + "; pad the weights and the activations with " + (bw - cols % bw) + " zero column(s)");
        }
    }

    private static void checkValueType(DType valueType) {
        if (valueType == null) {
            throw new IllegalArgumentException("BlockSparse value dtype must not be null");
        }
    }

    // ---------------------------------------------------------------- building

    /**
     * Packs every block of {@code dense} that holds at least one non-zero, rounding values to {@code valueType}
     * (a non-zero that rounds to zero is stored as that zero; its block stays kept). NaN and infinities are
     * rejected naming row and column.
     */
    public static BlockSparse fromDense(Matrix dense, int bh, int bw, DType valueType) {
        requireDense(dense);
        checkGeometry(dense.rows(), dense.cols(), bh, bw);
        int br = dense.rows() / bh;
        int bc = dense.cols() / bw;
        boolean[] keep = new boolean[br * bc];
        for (int r = 0; r < dense.rows(); r++) {
            float[] row = dense.row(r);
            for (int c = 0; c < row.length; c++) {
                if (row[c] != 0f) {
                    keep[(r / bh) * bc + c / bw] = true;
                }
            }
        }
        return fromDense(dense, bh, bw, keep, valueType);
    }

    /**
     * Packs the blocks {@code keep} names (blockRows*blockCols flags, row-major over the block grid). A kept block
     * is stored even if it is all zero (so a pruner's mask, not the values, decides the pattern); the entries of
     * dropped blocks are ignored (they need not be zero).
     */
    public static BlockSparse fromDense(Matrix dense, int bh, int bw, boolean[] keep, DType valueType) {
        requireDense(dense);
        checkValueType(valueType);
        int m = dense.rows();
        int k = dense.cols();
        checkGeometry(m, k, bh, bw);
        int br = m / bh;
        int bc = k / bw;
        if (keep == null || keep.length != br * bc) {
            throw new IllegalArgumentException("BlockSparse.fromDense: keep must have blockRows*blockCols = " + br + "*"
                    + bc + " = " + (long) br * bc + " flags, got " + (keep == null ? "null" : keep.length));
        }
        int count = 0;
        for (boolean b : keep) {
            count += b ? 1 : 0;
        }
        BlockSparse s = new BlockSparse(m, k, bh, bw, count, valueType);
        try {
            int p = 0;
            for (int i = 0; i < br; i++) {
                s.rowPtr.setAtIndex(I32, i, p);
                float[][] rowsOfBlock = new float[bh][];
                for (int r = 0; r < bh; r++) {
                    rowsOfBlock[r] = dense.row(i * bh + r);
                    for (int c = 0; c < k; c++) {
                        if (keep[i * bc + c / bw] && !Float.isFinite(rowsOfBlock[r][c])) {
                            throw new IllegalArgumentException("BlockSparse.fromDense: non-finite value "
                                    + rowsOfBlock[r][c] + " at row " + (i * bh + r) + ", column " + c);
                        }
                    }
                }
                for (int j = 0; j < bc; j++) {
                    if (!keep[i * bc + j]) {
                        continue;
                    }
                    s.colIdx.setAtIndex(I32, p, j);
                    long base = (long) p * bh * bw;
                    for (int r = 0; r < bh; r++) {
                        for (int c = 0; c < bw; c++) {
                            s.putValue(base + (long) r * bw + c, rowsOfBlock[r][j * bw + c]);
                        }
                    }
                    p++;
                }
            }
            s.rowPtr.setAtIndex(I32, br, p);
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private static void requireDense(Matrix dense) {
        if (dense == null) {
            throw new IllegalArgumentException("dense matrix must not be null");
        }
        dense.requireOpen();
    }

    /**
     * Builds a layout from its parts, copying them: {@code rowPtr} blockRows+1 ints, {@code colIdx} blockCount ints
     * (native byte order), {@code values} blockCount*bh*bw elements of {@code valueType} (native little-endian).
     * Everything is validated: sizes, rowPtr starting at 0, never decreasing and ending at blockCount, block columns
     * in range and strictly increasing inside each block row, and finite values; the message names the offending
     * block row / block / element.
     */
    public static BlockSparse fromParts(int rows, int cols, int bh, int bw, DType valueType, MemorySegment rowPtr,
                                        MemorySegment colIdx, MemorySegment values) {
        checkGeometry(rows, cols, bh, bw);
        checkValueType(valueType);
        if (rowPtr == null || colIdx == null || values == null) {
            throw new IllegalArgumentException("BlockSparse.fromParts: rowPtr, colIdx and values must not be null");
        }
        int br = rows / bh;
        if (rowPtr.byteSize() != 4L * (br + 1)) {
            throw new IllegalArgumentException("BlockSparse.fromParts: rowPtr has " + rowPtr.byteSize() + " bytes, "
                    + br + " block rows need " + (br + 1) + " ints (" + 4L * (br + 1) + " bytes)");
        }
        if (colIdx.byteSize() % 4 != 0) {
            throw new IllegalArgumentException("BlockSparse.fromParts: colIdx has " + colIdx.byteSize()
                    + " bytes, not a whole number of ints");
        }
        long count = colIdx.byteSize() / 4;
        long blockBytes = (long) bh * bw * valueType.bytes();
        if (values.byteSize() != count * blockBytes) {
            throw new IllegalArgumentException("BlockSparse.fromParts: values have " + values.byteSize() + " bytes, "
                    + count + " blocks of " + bh + "x" + bw + " " + valueType + " need " + count * blockBytes);
        }
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("BlockSparse.fromParts: " + count + " blocks exceed an int");
        }
        BlockSparse s = new BlockSparse(rows, cols, bh, bw, (int) count, valueType);
        try {
            MemorySegment.copy(rowPtr, 0, s.rowPtr, 0, rowPtr.byteSize());
            MemorySegment.copy(colIdx, 0, s.colIdx, 0, colIdx.byteSize());
            MemorySegment.copy(values, 0, s.values, 0, values.byteSize());
            s.validate();
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** {@link #fromParts(int, int, int, int, DType, MemorySegment, MemorySegment, MemorySegment)} from heap arrays; values are rounded to {@code valueType}. */
    public static BlockSparse fromParts(int rows, int cols, int bh, int bw, int[] rowPtr, int[] colIdx, float[] values,
                                        DType valueType) {
        checkGeometry(rows, cols, bh, bw);
        checkValueType(valueType);
        if (rowPtr == null || colIdx == null || values == null) {
            throw new IllegalArgumentException("BlockSparse.fromParts: rowPtr, colIdx and values must not be null");
        }
        if ((long) colIdx.length * bh * bw != values.length) {
            throw new IllegalArgumentException("BlockSparse.fromParts: " + colIdx.length + " blocks of " + bh + "x" + bw
                    + " need " + (long) colIdx.length * bh * bw + " values, got " + values.length);
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException("BlockSparse: non-finite value " + values[i] + " in block "
                        + i / (bh * bw) + " at (" + (i % (bh * bw)) / bw + ", " + i % bw + ")");
            }
        }
        MemorySegment v;
        if (valueType == DType.F32) {
            v = MemorySegment.ofArray(values);
        } else {
            short[] h = new short[values.length];
            for (int i = 0; i < h.length; i++) {
                h[i] = valueType == DType.BF16 ? HalfFloats.floatToBf16(values[i]) : HalfFloats.floatToF16(values[i]);
            }
            v = MemorySegment.ofArray(h);
        }
        return fromParts(rows, cols, bh, bw, valueType, MemorySegment.ofArray(rowPtr), MemorySegment.ofArray(colIdx), v);
    }

    private void validate() {
        int br = blockRows();
        int bc = blockCols();
        if (rowPointer(0) != 0) {
            throw new IllegalArgumentException("BlockSparse: rowPtr[0] must be 0, got " + rowPointer(0));
        }
        for (int i = 0; i < br; i++) {
            int a = rowPointer(i);
            int b = rowPointer(i + 1);
            if (b < a) {
                throw new IllegalArgumentException("BlockSparse: rowPtr decreases at block row " + i + " (" + a + " -> "
                        + b + ")");
            }
            if (b > blockCount) {
                throw new IllegalArgumentException("BlockSparse: rowPtr[" + (i + 1) + "]=" + b + " exceeds the "
                        + blockCount + " stored blocks");
            }
        }
        // Pointers first (all of them), so a broken pointer is reported as such, not as a column-order symptom.
        for (int i = 0; i < br; i++) {
            int a = rowPointer(i);
            int b = rowPointer(i + 1);
            int prev = -1;
            for (int p = a; p < b; p++) {
                int c = blockColumn(p);
                if (c < 0 || c >= bc) {
                    throw new IllegalArgumentException("BlockSparse: block " + p + " (block row " + i + ") has column "
                            + c + " outside [0, " + bc + ")");
                }
                if (c <= prev) {
                    throw new IllegalArgumentException("BlockSparse: block columns of block row " + i + " must be"
                            + " strictly increasing, got " + prev + " then " + c + " at block " + p);
                }
                prev = c;
            }
        }
        if (rowPointer(br) != blockCount) {
            throw new IllegalArgumentException("BlockSparse: rowPtr[" + br + "]=" + rowPointer(br) + " must equal the "
                    + blockCount + " stored blocks");
        }
        long per = (long) bh * bw;
        for (long e = 0, n = per * blockCount; e < n; e++) {
            float v = valueAt(e);
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("BlockSparse: non-finite value " + v + " in block " + e / per
                        + " at (" + (e % per) / bw + ", " + e % bw + ")");
            }
        }
    }

    private void putValue(long e, float v) {
        switch (valueType) {
            case F32 -> values.setAtIndex(F32, e, v);
            case BF16 -> values.setAtIndex(U16, e, HalfFloats.floatToBf16(v));
            case F16 -> values.setAtIndex(U16, e, HalfFloats.floatToF16(v));
        }
    }

    private float valueAt(long e) {
        return switch (valueType) {
            case F32 -> values.getAtIndex(F32, e);
            case BF16 -> HalfFloats.bf16ToFloat(values.getAtIndex(U16, e));
            case F16 -> HalfFloats.f16ToFloat(values.getAtIndex(U16, e));
        };
    }

    // ---------------------------------------------------------------- reading

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Block height bh (output rows per block). */
    public int blockHeight() {
        return bh;
    }

    /** Block width bw (input columns per block). */
    public int blockWidth() {
        return bw;
    }

    /** M / bh. */
    public int blockRows() {
        return rows / bh;
    }

    /** K / bw. */
    public int blockCols() {
        return cols / bw;
    }

    /** Number of stored (kept) blocks. */
    public int blockCount() {
        return blockCount;
    }

    /** Kept fraction of the blocks, blockCount / (blockRows * blockCols): 1 for dense, 0.1 at 90% block sparsity. */
    public double density() {
        return (double) blockCount / ((double) blockRows() * blockCols());
    }

    public DType valueType() {
        return valueType;
    }

    public String shapeString() {
        return rows + "x" + cols;
    }

    /** rowPtr[i], 0 &lt;= i &lt;= blockRows. */
    public int rowPointer(int i) {
        requireOpen();
        if (i < 0 || i > blockRows()) {
            throw new IndexOutOfBoundsException("row pointer " + i + " outside [0, " + blockRows() + "]");
        }
        return rowPtr.getAtIndex(I32, i);
    }

    /** Block column of stored block p. */
    public int blockColumn(int p) {
        requireOpen();
        if (p < 0 || p >= blockCount) {
            throw new IndexOutOfBoundsException("block " + p + " outside [0, " + blockCount + ")");
        }
        return colIdx.getAtIndex(I32, p);
    }

    /** Element (r, c) of stored block p, widened to float exactly. */
    public float value(int p, int r, int c) {
        requireOpen();
        if (p < 0 || p >= blockCount || r < 0 || r >= bh || c < 0 || c >= bw) {
            throw new IndexOutOfBoundsException("element (" + r + ", " + c + ") of block " + p + " outside "
                    + blockCount + " blocks of " + bh + "x" + bw);
        }
        return valueAt((long) p * bh * bw + (long) r * bw + c);
    }

    /** A copy of rowPtr (blockRows+1 ints). */
    public int[] rowPointers() {
        requireOpen();
        return rowPtr.toArray(I32);
    }

    /** A copy of colIdx (blockCount ints). */
    public int[] blockColumns() {
        requireOpen();
        return colIdx.toArray(I32);
    }

    /** Read-only view of rowPtr (blockRows+1 native ints); kernels read it directly. */
    public MemorySegment rowPointerSegment() {
        requireOpen();
        return rowPtr.asReadOnly();
    }

    /** Read-only view of colIdx (blockCount native ints). */
    public MemorySegment columnSegment() {
        requireOpen();
        return colIdx.asReadOnly();
    }

    /** Read-only view of the block values (blockCount*bh*bw elements of {@link #valueType()}). */
    public MemorySegment values() {
        requireOpen();
        return values.asReadOnly();
    }

    /** The kept-block mask over the block grid, blockRows*blockCols flags row-major (the form fromDense takes). */
    public boolean[] keepMask() {
        requireOpen();
        boolean[] keep = new boolean[blockRows() * blockCols()];
        for (int i = 0; i < blockRows(); i++) {
            for (int p = rowPointer(i); p < rowPointer(i + 1); p++) {
                keep[i * blockCols() + blockColumn(p)] = true;
            }
        }
        return keep;
    }

    /** The dense M x K matrix in {@link #valueType()}: kept blocks at their places, zeros elsewhere (bit-exact). */
    public Matrix toDense() {
        requireOpen();
        Matrix d = Matrix.allocate(rows, cols, valueType);
        MemorySegment ds = d.segment();
        int eb = valueType.bytes();
        long rowBytes = (long) bw * eb;
        for (int i = 0; i < blockRows(); i++) {
            for (int p = rowPointer(i); p < rowPointer(i + 1); p++) {
                int j = blockColumn(p);
                for (int r = 0; r < bh; r++) {
                    long src = ((long) p * bh * bw + (long) r * bw) * eb;
                    long dst = ((long) (i * bh + r) * cols + (long) j * bw) * eb;
                    MemorySegment.copy(values, src, ds, dst, rowBytes);
                }
            }
        }
        return d;
    }

    /** Bytes of values plus rowPtr and colIdx: what a kernel streams per product. */
    public long byteSize() {
        return (long) blockCount * bh * bw * valueType.bytes() + 4L * (blockRows() + 1) + 4L * blockCount;
    }

    /**
     * The Blocked-ELL form of this matrix: every block row gets {@code maxBlocksPerRow} slots, padded with explicit
     * zero blocks (see {@link BlockEll}).
     */
    public BlockEll toEll() {
        requireOpen();
        return BlockEll.of(this);
    }

    public boolean isClosed() {
        return closed;
    }

    /** Throws {@link IllegalStateException} if this layout was closed. */
    public void requireOpen() {
        if (closed) {
            throw new IllegalStateException("BlockSparse " + shapeString() + " " + valueType + " is closed");
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
        return "BlockSparse[" + shapeString() + ", " + bh + "x" + bw + " blocks, " + blockCount + "/"
                + (long) blockRows() * blockCols() + " kept, " + valueType + (closed ? ", closed]" : "]");
    }

    // ---------------------------------------------------------------- persistence

    /** safetensors metadata value of {@link Sparse24#FORMAT_KEY} for this layout. */
    public static final String FORMAT = "block-sparse";
    static final String ROW_PTR = "row_ptr";
    static final String COL_IDX = "col_idx";
    static final String VALUES = "values";

    /**
     * Writes this layout as one safetensors file: tensors {@code row_ptr} (I32 [blockRows+1]), {@code col_idx}
     * (I32 [blockCount]) and {@code values} (valueType [blockCount, bh, bw]), with metadata
     * {@code spruce.layout=block-sparse, storage=bsr, rows, cols, block_height, block_width, value_dtype}.
     * Written to a temporary file and atomically renamed.
     */
    public void save(Path path) throws IOException {
        requireOpen();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Sparse24.FORMAT_KEY, FORMAT);
        meta.put("storage", "bsr");
        meta.put("rows", Integer.toString(rows));
        meta.put("cols", Integer.toString(cols));
        meta.put("block_height", Integer.toString(bh));
        meta.put("block_width", Integer.toString(bw));
        meta.put("value_dtype", valueType.safetensorsName());
        new SafeTensorsWriter()
                .metadata(meta)
                .put(ROW_PTR, TensorDType.I32, new long[] {blockRows() + 1}, rowPtr)
                .put(COL_IDX, TensorDType.I32, new long[] {blockCount}, colIdx)
                .put(VALUES, TensorDType.of(valueType), new long[] {blockCount, bh, bw}, values)
                .write(path);
    }

    /**
     * Reads a file written by {@link #save}. Truncated files, wrong or missing metadata, tensors of the wrong dtype
     * or shape, and inconsistent contents (every check of {@link #fromParts}) are rejected naming the file and the
     * problem.
     */
    public static BlockSparse load(Path path) throws IOException {
        String where = "BlockSparse.load(" + path + "): ";
        try (SafeTensors st = SafeTensorsReader.read(path)) {
            Map<String, String> meta = st.metadata();
            if (!FORMAT.equals(meta.get(Sparse24.FORMAT_KEY))) {
                throw new IllegalArgumentException(where + "metadata " + Sparse24.FORMAT_KEY + " is '"
                        + meta.get(Sparse24.FORMAT_KEY) + "', expected '" + FORMAT + "'");
            }
            if (!"bsr".equals(meta.get("storage"))) {
                throw new IllegalArgumentException(where + "storage is '" + meta.get("storage") + "', expected 'bsr'");
            }
            int m = parsePositive(meta.get("rows"), "rows", where);
            int k = parsePositive(meta.get("cols"), "cols", where);
            int bh = parsePositive(meta.get("block_height"), "block_height", where);
            int bw = parsePositive(meta.get("block_width"), "block_width", where);
            DType vt;
            try {
                vt = DType.fromSafetensors(meta.get("value_dtype"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + "value_dtype: " + e.getMessage(), e);
            }
            if (st.names().size() != 3 || !st.contains(ROW_PTR) || !st.contains(COL_IDX) || !st.contains(VALUES)) {
                throw new IllegalArgumentException(where + "expected exactly the tensors 'row_ptr', 'col_idx' and"
                        + " 'values', found " + st.names());
            }
            try {
                checkGeometry(m, k, bh, bw);
                SafeTensors.Tensor rp = st.tensor(ROW_PTR);
                SafeTensors.Tensor ci = st.tensor(COL_IDX);
                SafeTensors.Tensor v = st.tensor(VALUES);
                if (rp.dtype() != TensorDType.I32 || ci.dtype() != TensorDType.I32) {
                    throw new IllegalArgumentException("tensors 'row_ptr' and 'col_idx' must be I32, got "
                            + rp.dtype() + " and " + ci.dtype());
                }
                if (v.dtype() != TensorDType.of(vt)) {
                    throw new IllegalArgumentException("tensor 'values' is " + v.dtype() + " but value_dtype is " + vt);
                }
                rp.requireShape(m / bh + 1);
                long[] cs = ci.shape();
                if (cs.length != 1) {
                    throw new IllegalArgumentException("tensor 'col_idx' must be 1-D, got shape "
                            + java.util.Arrays.toString(cs));
                }
                v.requireShape(cs[0], bh, bw);
                // fromParts copies the (possibly unaligned) mapped bytes into this layout's aligned memory.
                return fromParts(m, k, bh, bw, vt, rp.data(), ci.data(), v.data());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + e.getMessage(), e);
            }
        }
    }

    /** Tensor name suffix of {@link #putTensors}'s geometry: I32 [4] = {rows, cols, block height, block width}. */
    static final String GEOMETRY = "block_geometry";

    /**
     * Adds this layout's tensors to a multi-layer safetensors file under {@code prefix}: {@code prefix + "row_ptr"},
     * {@code "col_idx"}, {@code "values"} (as {@link #save}) and {@code "block_geometry"} (I32 [rows, cols, bh, bw]),
     * so a layer needs no file-level metadata of its own.
     */
    public void putTensors(SafeTensorsWriter w, String prefix) {
        requireOpen();
        w.put(prefix + ROW_PTR, TensorDType.I32, new long[] {blockRows() + 1}, rowPtr)
                .put(prefix + COL_IDX, TensorDType.I32, new long[] {blockCount}, colIdx)
                .put(prefix + VALUES, TensorDType.of(valueType), new long[] {blockCount, bh, bw}, values)
                .put(prefix + GEOMETRY, TensorDType.I32, new long[] {4}, new int[] {rows, cols, bh, bw});
    }

    /**
     * Rebuilds a layout from tensors written by {@link #putTensors} (copied, validated as {@link #fromParts}); a
     * missing tensor or a wrong dtype or shape is rejected naming the tensor.
     */
    public static BlockSparse fromTensors(SafeTensors st, String prefix) {
        String where = "BlockSparse '" + prefix + "': ";
        for (String t : new String[] {ROW_PTR, COL_IDX, VALUES, GEOMETRY}) {
            if (!st.contains(prefix + t)) {
                throw new IllegalArgumentException(where + "tensor '" + prefix + t + "' is missing");
            }
        }
        try {
            SafeTensors.Tensor g = st.tensor(prefix + GEOMETRY);
            if (g.dtype() != TensorDType.I32) {
                throw new IllegalArgumentException("tensor '" + prefix + GEOMETRY + "' must be I32, got " + g.dtype());
            }
            g.requireShape(4);
            int[] geo = new int[4];
            for (int i = 0; i < 4; i++) {
                geo[i] = g.data().get(ValueLayout.JAVA_INT_UNALIGNED, 4L * i);
            }
            checkGeometry(geo[0], geo[1], geo[2], geo[3]);
            SafeTensors.Tensor rp = st.tensor(prefix + ROW_PTR);
            SafeTensors.Tensor ci = st.tensor(prefix + COL_IDX);
            SafeTensors.Tensor v = st.tensor(prefix + VALUES);
            if (rp.dtype() != TensorDType.I32 || ci.dtype() != TensorDType.I32) {
                throw new IllegalArgumentException("tensors 'row_ptr' and 'col_idx' must be I32, got " + rp.dtype()
                        + " and " + ci.dtype());
            }
            DType vt = v.dtype().toMatrixDType();
            rp.requireShape(geo[0] / geo[2] + 1);
            long[] cs = ci.shape();
            if (cs.length != 1) {
                throw new IllegalArgumentException("tensor 'col_idx' must be 1-D, got shape " + java.util.Arrays.toString(cs));
            }
            v.requireShape(cs[0], geo[2], geo[3]);
            return fromParts(geo[0], geo[1], geo[2], geo[3], vt, rp.data(), ci.data(), v.data());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
    }

    private static int parsePositive(String s, String key, String where) {
        try {
            int v = Integer.parseInt(s == null ? "" : s);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(where + "metadata '" + key + "' must be a positive integer, got '" + s + "'");
    }
}
