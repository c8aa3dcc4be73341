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
 * A 2:4 semi-structured sparse weight matrix W (rows = M out-features, cols = K in-features), packed.
 *
 * <p>In every aligned group of 4 consecutive k (group g covers k = 4g..4g+3) at most 2 entries are non-zero.
 * Storage, both off-heap, 64-byte aligned, immutable once built:
 * <ul>
 *   <li><b>values</b>: M x K/2 elements of {@link #valueType()} (F32, BF16 or F16), row-major; group g of row r
 *       owns slots 2g and 2g+1 and holds its two kept entries in increasing k order. A group with fewer than
 *       two non-zeros keeps explicit zeros in its free slots.</li>
 *   <li><b>codes</b> (the canonical metadata order): one 4-bit code per group, {@code i0 | (i1 << 2)} with
 *       i0 &lt; i1 the kept positions inside the group, so only 4, 8, 9, 12, 13 and 14 are legal. Four groups
 *       share a little-endian 16-bit word (group g in bits 4(g%4)..4(g%4)+3 of word g/4); the words are
 *       row-major M x ceil(K/16). Nibbles of the last word that lie beyond K are zero.</li>
 * </ul>
 * These are exactly the CUTLASS/PyTorch 2:4 code semantics (see research note gpu-2to4-kernels §1.4);
 * {@link Sparse24GpuOrder} re-nests the same words for the CUDA kernels.
 *
 * <p>K must be a multiple of 4: a partial group has no 2:4 meaning, and silently padding the weights would
 * also force every caller to pad its activations, so {@link #pack} rejects it with a message instead.
 * M and K need not be multiples of 32; {@link #padTo} adds zero rows/columns when a consumer (the GPU order)
 * needs that.
 */
public final class Sparse24 implements AutoCloseable {
    /** Value slots per group and logical k per group. */
    public static final int GROUP = 4;
    /** Groups per 16-bit metadata word. */
    public static final int GROUPS_PER_WORD = 4;
    /** The code used for a group whose kept pair is (0, 1): also the code of an all-zero group. */
    public static final int CODE_01 = 0x4;

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private final int rows;
    private final int cols;
    private final DType valueType;
    private final Arena arena;
    private final MemorySegment values;
    private final MemorySegment codes;
    private volatile boolean closed;

    private Sparse24(int rows, int cols, DType valueType) {
        checkShape(rows, cols);
        if (valueType == null) {
            throw new IllegalArgumentException("value dtype must not be null");
        }
        this.rows = rows;
        this.cols = cols;
        this.valueType = valueType;
        this.arena = Arena.ofShared();
        this.values = NativeMemory.allocate(arena, Math.max(1L, (long) rows * (cols / 2) * valueType.bytes()),
                Matrix.ALIGNMENT);
        this.codes = NativeMemory.allocate(arena, Math.max(1L, (long) rows * wordsPerRow(cols) * 2), Matrix.ALIGNMENT);
    }

    private static void checkShape(int rows, int cols) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("Sparse24 shape must be positive, got " + rows + "x" + cols);
        }
        if (cols % GROUP != 0) {
            throw new IllegalArgumentException("Sparse24 needs K (columns) to be a multiple of 4, got K=" + cols
                    + "; pad the weights and the activations with " + (GROUP - cols % GROUP)
                    + " zero column(s) first");
        }
    }

    /** Number of 16-bit code words per row: ceil(K/16). */
    public static int wordsPerRow(int cols) {
        return (cols + 15) / 16;
    }

    /** Whether {@code code} names two distinct positions i0 &lt; i1 (4, 8, 9, 12, 13, 14). */
    public static boolean isLegalCode(int code) {
        int i0 = code & 3;
        int i1 = (code >>> 2) & 3;
        return code >= 0 && code < 16 && i0 < i1;
    }

    // ---------------------------------------------------------------- building

    /**
     * Packs a dense M x K matrix that already satisfies the 2:4 pattern (at most 2 non-zeros per aligned group
     * of 4 along K), rounding the kept values to {@code valueType}. Rejects groups with more than 2 non-zeros
     * (naming row and group), NaN and infinities (naming row and column), and K not a multiple of 4.
     * A value that is non-zero in {@code dense} but rounds to zero in {@code valueType} is stored as that zero.
     */
    public static Sparse24 pack(Matrix dense, DType valueType) {
        if (dense == null) {
            throw new IllegalArgumentException("dense matrix must not be null");
        }
        dense.requireOpen();
        int m = dense.rows();
        int k = dense.cols();
        checkShape(m, k);
        Sparse24 s = new Sparse24(m, k, valueType);
        try {
            int groups = k / GROUP;
            for (int r = 0; r < m; r++) {
                float[] row = dense.row(r);
                for (int c = 0; c < k; c++) {
                    if (!Float.isFinite(row[c])) {
                        throw new IllegalArgumentException("Sparse24.pack: non-finite value " + row[c] + " at row " + r
                                + ", column " + c);
                    }
                }
                for (int g = 0; g < groups; g++) {
                    int b = g * GROUP;
                    int nz = 0;
                    int i0 = -1;
                    int i1 = -1;
                    for (int p = 0; p < GROUP; p++) {
                        if (row[b + p] != 0f) {
                            nz++;
                            if (i0 < 0) {
                                i0 = p;
                            } else if (i1 < 0) {
                                i1 = p;
                            }
                        }
                    }
                    if (nz > 2) {
                        throw new IllegalArgumentException("Sparse24.pack: row " + r + ", group " + g + " (columns "
                                + b + ".." + (b + 3) + ") has " + nz + " non-zeros; 2:4 allows at most 2");
                    }
                    // Free slots take the lowest unused positions, so the pair is always two distinct positions.
                    if (i0 < 0) {
                        i0 = 0;
                        i1 = 1;
                    } else if (i1 < 0) {
                        if (i0 == 0) {
                            i1 = 1;
                        } else {
                            i1 = i0;
                            i0 = 0;
                        }
                    }
                    s.putValue(r, 2 * g, row[b + i0]);
                    s.putValue(r, 2 * g + 1, row[b + i1]);
                    s.putCode(r, g, i0 | (i1 << 2));
                }
            }
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Builds a layout from its parts, copying them. {@code values} holds M x K/2 elements of {@code valueType}
     * (native little-endian), {@code codes} M x ceil(K/16) 16-bit words in the canonical order. Every code is
     * validated (an illegal code is reported with its row and group), unused trailing nibbles must be zero, and
     * NaN or infinite values are rejected.
     */
    public static Sparse24 fromParts(int rows, int cols, DType valueType, MemorySegment values, MemorySegment codes) {
        checkShape(rows, cols);
        if (valueType == null || values == null || codes == null) {
            throw new IllegalArgumentException("Sparse24.fromParts: value dtype, values and codes must not be null");
        }
        long vBytes = (long) rows * (cols / 2) * valueType.bytes();
        long cBytes = (long) rows * wordsPerRow(cols) * 2;
        if (values.byteSize() != vBytes) {
            throw new IllegalArgumentException("Sparse24.fromParts: values have " + values.byteSize() + " bytes, shape "
                    + rows + "x" + cols + " with " + valueType + " values needs " + vBytes + " (" + rows + "x"
                    + cols / 2 + " elements)");
        }
        if (codes.byteSize() != cBytes) {
            throw new IllegalArgumentException("Sparse24.fromParts: codes have " + codes.byteSize() + " bytes, shape "
                    + rows + "x" + cols + " needs " + cBytes + " (" + rows + "x" + wordsPerRow(cols) + " 16-bit words)");
        }
        Sparse24 s = new Sparse24(rows, cols, valueType);
        try {
            MemorySegment.copy(values, 0, s.values, 0, vBytes);
            MemorySegment.copy(codes, 0, s.codes, 0, cBytes);
            s.validate();
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** {@link #fromParts(int, int, DType, MemorySegment, MemorySegment)} from a values matrix (M x K/2) and heap codes. */
    public static Sparse24 fromParts(int rows, int cols, Matrix values, short[] codes) {
        if (values == null || codes == null) {
            throw new IllegalArgumentException("Sparse24.fromParts: values and codes must not be null");
        }
        values.requireOpen();
        checkShape(rows, cols);
        if (values.rows() != rows || values.cols() != cols / 2) {
            throw new IllegalArgumentException("Sparse24.fromParts: values must be " + rows + "x" + cols / 2
                    + " for shape " + rows + "x" + cols + ", got " + values.shapeString());
        }
        return fromParts(rows, cols, values.dtype(), values.segment(), MemorySegment.ofArray(codes));
    }

    private void validate() {
        int groups = cols / GROUP;
        int wpr = wordsPerRow(cols);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                int code = code(r, g);
                if (!isLegalCode(code)) {
                    throw new IllegalArgumentException("Sparse24: illegal 2:4 code 0x" + Integer.toHexString(code)
                            + " at row " + r + ", group " + g + " (columns " + 4 * g + ".." + (4 * g + 3)
                            + "); legal codes are 0x4, 0x8, 0x9, 0xc, 0xd, 0xe");
                }
            }
            int used = groups - (wpr - 1) * GROUPS_PER_WORD; // groups in the last word
            if (used < GROUPS_PER_WORD) {
                int last = word(r, wpr - 1);
                if ((last >>> (4 * used)) != 0) {
                    throw new IllegalArgumentException("Sparse24: row " + r + " has non-zero code bits beyond K="
                            + cols + " in its last code word (0x" + Integer.toHexString(last) + ")");
                }
            }
            for (int i = 0; i < cols / 2; i++) {
                float v = value(r, i);
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("Sparse24: non-finite value " + v + " at row " + r
                            + ", value slot " + i + " (group " + i / 2 + ")");
                }
            }
        }
    }

    private void putValue(int r, int slot, float v) {
        long i = (long) r * (cols / 2) + slot;
        switch (valueType) {
            case F32 -> values.setAtIndex(F32, i, v);
            case BF16 -> values.setAtIndex(U16, i, HalfFloats.floatToBf16(v));
            case F16 -> values.setAtIndex(U16, i, HalfFloats.floatToF16(v));
        }
    }

    private void putCode(int r, int g, int code) {
        long wi = (long) r * wordsPerRow(cols) + g / GROUPS_PER_WORD;
        int shift = 4 * (g % GROUPS_PER_WORD);
        int w = codes.getAtIndex(U16, wi) & 0xffff;
        w = (w & ~(0xf << shift)) | (code << shift);
        codes.setAtIndex(U16, wi, (short) w);
    }

    /**
     * A copy padded with zero rows (to a multiple of {@code rowMultiple}) and zero columns (to a multiple of
     * {@code colMultiple}, itself a multiple of 4); padded groups keep zeros with code 0x4. Use it before
     * {@link Sparse24GpuOrder#encode} when M or K is not a multiple of 32, and pad the activations to match.
     */
    public Sparse24 padTo(int rowMultiple, int colMultiple) {
        requireOpen();
        if (rowMultiple < 1 || colMultiple < 1 || colMultiple % GROUP != 0) {
            throw new IllegalArgumentException("padTo: row multiple must be >= 1 and column multiple a positive"
                    + " multiple of 4, got " + rowMultiple + ", " + colMultiple);
        }
        int m2 = Math.toIntExact(((long) rows + rowMultiple - 1) / rowMultiple * rowMultiple);
        int k2 = Math.toIntExact(((long) cols + colMultiple - 1) / colMultiple * colMultiple);
        Sparse24 p = new Sparse24(m2, k2, valueType);
        int eb = valueType.bytes();
        for (int r = 0; r < m2; r++) {
            if (r < rows) {
                MemorySegment.copy(values, (long) r * (cols / 2) * eb, p.values, (long) r * (k2 / 2) * eb,
                        (long) (cols / 2) * eb);
            }
            for (int g = 0; g < k2 / GROUP; g++) {
                p.putCode(r, g, (r < rows && g < cols / GROUP) ? code(r, g) : CODE_01);
            }
        }
        return p;
    }

    // ---------------------------------------------------------------- reading

    public int rows() {
        return rows;
    }

    /** Logical K (in-features). */
    public int cols() {
        return cols;
    }

    public DType valueType() {
        return valueType;
    }

    public String shapeString() {
        return rows + "x" + cols;
    }

    /** Value slots per row: K/2. */
    public int valuesPerRow() {
        return cols / 2;
    }

    /** Read-only view of the values (M x K/2 elements of {@link #valueType()}). */
    public MemorySegment values() {
        requireOpen();
        return values.asReadOnly();
    }

    /** Read-only view of the canonical code words (M x ceil(K/16) little-endian 16-bit words). */
    public MemorySegment codes() {
        requireOpen();
        return codes.asReadOnly();
    }

    /** The 4-bit code of group g (columns 4g..4g+3) of row r. */
    public int code(int r, int g) {
        requireOpen();
        if (r < 0 || r >= rows || g < 0 || g >= cols / GROUP) {
            throw new IndexOutOfBoundsException("group (" + r + ", " + g + ") outside " + shapeString());
        }
        return (word(r, g / GROUPS_PER_WORD) >>> (4 * (g % GROUPS_PER_WORD))) & 0xf;
    }

    /** Canonical code word w (groups 4w..4w+3) of row r, as an unsigned 16-bit int. */
    public int word(int r, int w) {
        requireOpen();
        return codes.getAtIndex(U16, (long) r * wordsPerRow(cols) + w) & 0xffff;
    }

    /** Value slot i (0..K/2-1) of row r, widened to float exactly. */
    public float value(int r, int i) {
        requireOpen();
        long idx = (long) r * (cols / 2) + i;
        return switch (valueType) {
            case F32 -> values.getAtIndex(F32, idx);
            case BF16 -> HalfFloats.bf16ToFloat(values.getAtIndex(U16, idx));
            case F16 -> HalfFloats.f16ToFloat(values.getAtIndex(U16, idx));
        };
    }

    /** The dense M x K matrix in {@link #valueType()}: kept values at their positions, zeros elsewhere (exact). */
    public Matrix toDense() {
        requireOpen();
        Matrix d = Matrix.allocate(rows, cols, valueType);
        MemorySegment ds = d.segment();
        int eb = valueType.bytes();
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / GROUP; g++) {
                int c = code(r, g);
                long src = ((long) r * (cols / 2) + 2L * g) * eb;
                long dst = ((long) r * cols + (long) GROUP * g) * eb;
                // Copy the raw bits so toDense is exact for every value type.
                MemorySegment.copy(values, src, ds, dst + (long) (c & 3) * eb, eb);
                MemorySegment.copy(values, src + eb, ds, dst + (long) ((c >>> 2) & 3) * eb, eb);
            }
        }
        return d;
    }

    /** Bytes of values plus codes: the memory a kernel streams per product. */
    public long byteSize() {
        return (long) rows * (cols / 2) * valueType.bytes() + (long) rows * wordsPerRow(cols) * 2;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Throws {@link IllegalStateException} if this layout was closed. */
    public void requireOpen() {
        if (closed) {
            throw new IllegalStateException("Sparse24 " + shapeString() + " " + valueType + " is closed");
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
        return "Sparse24[" + shapeString() + ", " + valueType + (closed ? ", closed]" : "]");
    }

    // ---------------------------------------------------------------- persistence

    /** safetensors metadata key/value identifying this layout. */
    public static final String FORMAT_KEY = "spruce.layout";
    public static final String FORMAT = "sparse24";
    static final String VALUES = "values";
    static final String CODES = "codes";

    /**
     * Writes this layout as a safetensors file: tensor {@code values} (valueType, [M, K/2]), tensor {@code codes}
     * (I16, [M, ceil(K/16)]) and metadata {@code spruce.layout=sparse24, pattern=2:4, rows, cols, value_dtype,
     * code_order=row-major-nibble}. Written to a temporary file and atomically renamed.
     */
    public void save(Path path) throws IOException {
        requireOpen();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(FORMAT_KEY, FORMAT);
        meta.put("pattern", "2:4");
        meta.put("rows", Integer.toString(rows));
        meta.put("cols", Integer.toString(cols));
        meta.put("value_dtype", valueType.safetensorsName());
        meta.put("code_order", "row-major-nibble");
        new SafeTensorsWriter()
                .metadata(meta)
                .put(VALUES, TensorDType.of(valueType), new long[] {rows, cols / 2}, values)
                .put(CODES, TensorDType.I16, new long[] {rows, wordsPerRow(cols)}, codes)
                .write(path);
    }

    /** Reads a file written by {@link #save}; every inconsistency between header, metadata and tensors is rejected. */
    public static Sparse24 load(Path path) throws IOException {
        try (SafeTensors st = SafeTensorsReader.read(path)) {
            Map<String, String> meta = st.metadata();
            String where = "Sparse24.load(" + path + "): ";
            if (!FORMAT.equals(meta.get(FORMAT_KEY))) {
                throw new IllegalArgumentException(where + "metadata " + FORMAT_KEY + " is '" + meta.get(FORMAT_KEY)
                        + "', expected '" + FORMAT + "'");
            }
            if (!"2:4".equals(meta.get("pattern"))) {
                throw new IllegalArgumentException(where + "pattern is '" + meta.get("pattern") + "', expected '2:4'");
            }
            if (!"row-major-nibble".equals(meta.get("code_order"))) {
                throw new IllegalArgumentException(where + "code_order is '" + meta.get("code_order")
                        + "', expected 'row-major-nibble'");
            }
            int m = parsePositive(meta.get("rows"), "rows", where);
            int k = parsePositive(meta.get("cols"), "cols", where);
            DType vt;
            try {
                vt = DType.fromSafetensors(meta.get("value_dtype"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + "value_dtype: " + e.getMessage(), e);
            }
            if (st.names().size() != 2 || !st.contains(VALUES) || !st.contains(CODES)) {
                throw new IllegalArgumentException(where + "expected exactly the tensors 'values' and 'codes', found "
                        + st.names());
            }
            SafeTensors.Tensor v = st.tensor(VALUES);
            SafeTensors.Tensor c = st.tensor(CODES);
            if (v.dtype() != TensorDType.of(vt)) {
                throw new IllegalArgumentException(where + "tensor 'values' is " + v.dtype() + " but value_dtype is " + vt);
            }
            if (c.dtype() != TensorDType.I16) {
                throw new IllegalArgumentException(where + "tensor 'codes' is " + c.dtype() + ", expected I16");
            }
            if (k % GROUP != 0) {
                throw new IllegalArgumentException(where + "cols=" + k + " is not a multiple of 4");
            }
            v.requireShape(m, k / 2);
            c.requireShape(m, wordsPerRow(k));
            return fromParts(m, k, vt, v.data(), c.data());
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
