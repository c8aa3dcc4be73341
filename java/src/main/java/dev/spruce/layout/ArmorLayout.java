package dev.spruce.layout;

import dev.spruce.layout.io.SafeTensors;
import dev.spruce.layout.io.SafeTensorsReader;
import dev.spruce.layout.io.SafeTensorsWriter;
import dev.spruce.layout.io.TensorDType;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An ARMOR-factorised weight: W-hat = A · S · B (M x K) with A (M x M) and B (K x K) {@link BlockDiagonal}
 * wrappers, each with its own block size, and S a {@link Sparse24} core (M x K); plus an optional bias (length M).
 * A layer computes y = A (S (B x)) + bias: the wrappers cost bs_A·M + bs_B·K multiply-adds per token next to
 * M·K/2 for the core (see {@link #multiplyAdds()}), which is why the block size is chosen per layer from a budget.
 *
 * <p>Immutable; owns its three parts (closing the layout closes them). The bias is kept on the heap as a copy.
 */
public final class ArmorLayout implements AutoCloseable {
    private final BlockDiagonal a;
    private final Sparse24 core;
    private final BlockDiagonal b;
    private final float[] bias;
    /** The bias again, off-heap (M floats), for kernels: they read native segments only, one code path. */
    private final Arena biasArena;
    private final MemorySegment biasSegment;
    private volatile boolean closed;

    private ArmorLayout(BlockDiagonal a, Sparse24 core, BlockDiagonal b, float[] bias) {
        this.a = a;
        this.core = core;
        this.b = b;
        this.bias = bias;
        if (bias != null) {
            this.biasArena = Arena.ofShared();
            this.biasSegment = biasArena.allocate(4L * bias.length, Matrix.ALIGNMENT);
            MemorySegment.copy(bias, 0, biasSegment, ValueLayout.JAVA_FLOAT, 0, bias.length);
        } else {
            this.biasArena = null;
            this.biasSegment = null;
        }
    }

    /**
     * Takes ownership of {@code a}, {@code core} and {@code b} (also when it throws, it closes nothing: the caller
     * still owns them then); copies the bias. Requires A to be M x M and B K x K for a core of M x K, the bias
     * (if any) of length M and finite.
     */
    public static ArmorLayout of(BlockDiagonal a, Sparse24 core, BlockDiagonal b, float[] biasOrNull) {
        if (a == null || core == null || b == null) {
            throw new IllegalArgumentException("ArmorLayout: A, the core and B must not be null");
        }
        a.requireOpen();
        core.requireOpen();
        b.requireOpen();
        if (a.n() != core.rows()) {
            throw new IllegalArgumentException("ArmorLayout: A is " + a.n() + "x" + a.n() + " but the core is "
                    + core.shapeString() + "; A must be M x M with M=" + core.rows());
        }
        if (b.n() != core.cols()) {
            throw new IllegalArgumentException("ArmorLayout: B is " + b.n() + "x" + b.n() + " but the core is "
                    + core.shapeString() + "; B must be K x K with K=" + core.cols());
        }
        if (biasOrNull != null) {
            if (biasOrNull.length != core.rows()) {
                throw new IllegalArgumentException("ArmorLayout: bias has " + biasOrNull.length
                        + " values, the layer has M=" + core.rows() + " outputs");
            }
            for (int i = 0; i < biasOrNull.length; i++) {
                if (!Float.isFinite(biasOrNull[i])) {
                    throw new IllegalArgumentException("ArmorLayout: non-finite bias " + biasOrNull[i] + " at " + i);
                }
            }
        }
        return new ArmorLayout(a, core, b, biasOrNull == null ? null : biasOrNull.clone());
    }

    /** Output features M. */
    public int rows() {
        return core.rows();
    }

    /** Input features K. */
    public int cols() {
        return core.cols();
    }

    public String shapeString() {
        return core.shapeString();
    }

    /** The output-side wrapper A (M x M); owned by this layout. */
    public BlockDiagonal a() {
        requireOpen();
        return a;
    }

    /** The 2:4 core S (M x K); owned by this layout. */
    public Sparse24 core() {
        requireOpen();
        return core;
    }

    /** The input-side wrapper B (K x K); owned by this layout. */
    public BlockDiagonal b() {
        requireOpen();
        return b;
    }

    public boolean hasBias() {
        return bias != null;
    }

    /** A copy of the bias, or null. */
    public float[] bias() {
        return bias == null ? null : bias.clone();
    }

    /** Read-only off-heap view of the bias (M floats), or null without a bias; for kernels. */
    public MemorySegment biasSegment() {
        requireOpen();
        return biasSegment == null ? null : biasSegment.asReadOnly();
    }

    /**
     * The exact dense W-hat = A · S · B (M x K, F32), accumulated in float64 and rounded once; the bias is not
     * included. Costs M·K·(bs_A + bs_B) operations: meant for tests and small layers.
     */
    public Matrix toDense() {
        requireOpen();
        int m = rows();
        int k = cols();
        int ba = a.blockSize();
        int bb = b.blockSize();
        float[] sB = b.toArray();
        float[] sA = a.toArray();
        double[] t = new double[m * k]; // S · B
        try (Matrix s = core.toDense()) {
            double[] row = new double[k];
            for (int r = 0; r < m; r++) {
                float[] sr = s.row(r);
                java.util.Arrays.fill(row, 0.0);
                for (int blk = 0; blk < k / bb; blk++) {
                    int base = blk * bb;
                    for (int j = 0; j < bb; j++) {
                        double v = sr[base + j];
                        if (v == 0.0) {
                            continue;
                        }
                        int bo = blk * bb * bb + j * bb;
                        for (int c = 0; c < bb; c++) {
                            row[base + c] += v * sB[bo + c];
                        }
                    }
                }
                System.arraycopy(row, 0, t, r * k, k);
            }
        }
        float[] out = new float[m * k];
        double[] acc = new double[k];
        for (int blk = 0; blk < m / ba; blk++) {
            for (int i = 0; i < ba; i++) {
                java.util.Arrays.fill(acc, 0.0);
                for (int j = 0; j < ba; j++) {
                    double v = sA[blk * ba * ba + i * ba + j];
                    int tr = (blk * ba + j) * k;
                    for (int c = 0; c < k; c++) {
                        acc[c] += v * t[tr + c];
                    }
                }
                int o = (blk * ba + i) * k;
                for (int c = 0; c < k; c++) {
                    out[o + c] = (float) acc[c];
                }
            }
        }
        return Matrix.of(out, m, k, DType.F32);
    }

    /** Bytes a product streams: both wrappers, the core (values + codes) and the bias. */
    public long byteSize() {
        return a.byteSize() + core.byteSize() + b.byteSize() + (bias == null ? 0 : 4L * bias.length);
    }

    /** Multiply-adds per token: bs_A·M (A) + M·K/2 (core) + bs_B·K (B). */
    public long multiplyAdds() {
        return a.multiplyAdds() + (long) rows() * cols() / 2 + b.multiplyAdds();
    }

    /** Wrapper multiply-adds as a fraction of the core's (the cost ARMOR adds to a plain 2:4 layer). */
    public double wrapperOverhead() {
        return (double) (a.multiplyAdds() + b.multiplyAdds()) / ((double) rows() * cols() / 2);
    }

    public boolean isClosed() {
        return closed;
    }

    public void requireOpen() {
        if (closed) {
            throw new IllegalStateException("ArmorLayout " + shapeString() + " is closed");
        }
        a.requireOpen();
        core.requireOpen();
        b.requireOpen();
    }

    @Override
    public void close() {
        if (!closed) {
            synchronized (this) {
                if (!closed) {
                    closed = true;
                    a.close();
                    core.close();
                    b.close();
                    if (biasArena != null) {
                        biasArena.close();
                    }
                }
            }
        }
    }

    @Override
    public String toString() {
        return "ArmorLayout[" + (closed ? "closed" : shapeString() + ", core " + core.valueType() + ", bs A "
                + a.blockSize() + ", bs B " + b.blockSize() + (bias == null ? "" : ", bias")) + "]";
    }

    // ---------------------------------------------------------------- persistence

    public static final String FORMAT = "armor";
    static final String A_BLOCKS = "a_blocks";
    static final String B_BLOCKS = "b_blocks";
    static final String VALUES = "core_values";
    static final String CODES = "core_codes";
    static final String BIAS = "bias";

    /**
     * Writes one safetensors file: tensors {@code a_blocks} (F32 [M/bsA, bsA, bsA]), {@code core_values}
     * (value dtype [M, K/2]), {@code core_codes} (I16 [M, ceil(K/16)]), {@code b_blocks} (F32 [K/bsB, bsB, bsB])
     * and, with a bias, {@code bias} (F32 [M]); metadata {@code spruce.layout=armor, product=A*S*B, rows, cols,
     * a_block, b_block, value_dtype, pattern=2:4, code_order=row-major-nibble, bias=true|false}.
     */
    public void save(Path path) throws IOException {
        requireOpen();
        int m = rows();
        int k = cols();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Sparse24.FORMAT_KEY, FORMAT);
        meta.put("product", "A*S*B");
        meta.put("rows", Integer.toString(m));
        meta.put("cols", Integer.toString(k));
        meta.put("a_block", Integer.toString(a.blockSize()));
        meta.put("b_block", Integer.toString(b.blockSize()));
        meta.put("wrapper_dtype", "F32");
        meta.put("value_dtype", core.valueType().safetensorsName());
        meta.put("pattern", "2:4");
        meta.put("code_order", "row-major-nibble");
        meta.put("bias", Boolean.toString(bias != null));
        SafeTensorsWriter w = new SafeTensorsWriter().metadata(meta);
        putTensors(w, "");
        if (bias != null) {
            w.put(BIAS, TensorDType.F32, new long[] {m}, bias);
        }
        w.write(path);
    }

    /** Reads a file written by {@link #save}; every inconsistency between metadata and tensors is rejected. */
    public static ArmorLayout load(Path path) throws IOException {
        String where = "ArmorLayout.load(" + path + "): ";
        try (SafeTensors st = SafeTensorsReader.read(path)) {
            Map<String, String> meta = st.metadata();
            expect(meta, Sparse24.FORMAT_KEY, FORMAT, where);
            expect(meta, "product", "A*S*B", where);
            expect(meta, "pattern", "2:4", where);
            expect(meta, "code_order", "row-major-nibble", where);
            expect(meta, "wrapper_dtype", "F32", where);
            int m = positive(meta, "rows", where);
            int k = positive(meta, "cols", where);
            int ba = positive(meta, "a_block", where);
            int bb = positive(meta, "b_block", where);
            String hasBias = meta.get("bias");
            if (!"true".equals(hasBias) && !"false".equals(hasBias)) {
                throw new IllegalArgumentException(where + "metadata 'bias' must be true or false, got '" + hasBias + "'");
            }
            boolean withBias = Boolean.parseBoolean(hasBias);
            DType vt;
            try {
                vt = DType.fromSafetensors(meta.get("value_dtype"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + "value_dtype: " + e.getMessage(), e);
            }
            if (k % Sparse24.GROUP != 0) {
                throw new IllegalArgumentException(where + "cols=" + k + " is not a multiple of 4");
            }
            if (m % ba != 0 || k % bb != 0) {
                throw new IllegalArgumentException(where + "block sizes a_block=" + ba + ", b_block=" + bb
                        + " do not divide the shape " + m + "x" + k);
            }
            Set<String> want = withBias ? Set.of(A_BLOCKS, B_BLOCKS, VALUES, CODES, BIAS)
                    : Set.of(A_BLOCKS, B_BLOCKS, VALUES, CODES);
            if (!Set.copyOf(st.names()).equals(want) || st.names().size() != want.size()) {
                throw new IllegalArgumentException(where + "expected exactly the tensors " + want + ", found "
                        + st.names());
            }
            SafeTensors.Tensor ta = tensor(st, A_BLOCKS, TensorDType.F32, where);
            SafeTensors.Tensor tb = tensor(st, B_BLOCKS, TensorDType.F32, where);
            SafeTensors.Tensor tv = tensor(st, VALUES, TensorDType.of(vt), where);
            SafeTensors.Tensor tc = tensor(st, CODES, TensorDType.I16, where);
            ta.requireShape(m / ba, ba, ba);
            tb.requireShape(k / bb, bb, bb);
            tv.requireShape(m, k / 2);
            tc.requireShape(m, Sparse24.wordsPerRow(k));
            float[] bias = null;
            if (withBias) {
                SafeTensors.Tensor tbias = tensor(st, BIAS, TensorDType.F32, where);
                tbias.requireShape(m);
                bias = tbias.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
            }
            return fromTensors(st, "", bias, where);
        }
    }

    /**
     * Adds this layout's tensors to a multi-layer file under {@code prefix}: {@code prefix + "a_blocks"},
     * {@code "core_values"}, {@code "core_codes"}, {@code "b_blocks"} (as {@link #save}; the bias is left to the
     * caller, who stores biases its own way). The shapes alone give M, K and both block sizes back.
     */
    public void putTensors(SafeTensorsWriter w, String prefix) {
        requireOpen();
        int m = rows();
        int k = cols();
        int ba = a.blockSize();
        int bb = b.blockSize();
        w.put(prefix + A_BLOCKS, TensorDType.F32, new long[] {m / ba, ba, ba}, a.segment())
                .put(prefix + VALUES, TensorDType.of(core.valueType()), new long[] {m, k / 2}, core.values())
                .put(prefix + CODES, TensorDType.I16, new long[] {m, Sparse24.wordsPerRow(k)}, core.codes())
                .put(prefix + B_BLOCKS, TensorDType.F32, new long[] {k / bb, bb, bb}, b.segment());
    }

    /** Rebuilds a layout from tensors written by {@link #putTensors} (copied), with {@code biasOrNull}. */
    public static ArmorLayout fromTensors(SafeTensors st, String prefix, float[] biasOrNull) {
        return fromTensors(st, prefix, biasOrNull, "ArmorLayout '" + prefix + "': ");
    }

    private static ArmorLayout fromTensors(SafeTensors st, String prefix, float[] bias, String where) {
        for (String t : new String[] {A_BLOCKS, VALUES, CODES, B_BLOCKS}) {
            if (!st.contains(prefix + t)) {
                throw new IllegalArgumentException(where + "tensor '" + prefix + t + "' is missing");
            }
        }
        SafeTensors.Tensor ta = tensor(st, prefix + A_BLOCKS, TensorDType.F32, where);
        SafeTensors.Tensor tb = tensor(st, prefix + B_BLOCKS, TensorDType.F32, where);
        SafeTensors.Tensor tv = st.tensor(prefix + VALUES);
        SafeTensors.Tensor tc = tensor(st, prefix + CODES, TensorDType.I16, where);
        long[] sa = ta.shape();
        long[] sb = tb.shape();
        long[] sv = tv.shape();
        if (sa.length != 3 || sa[1] != sa[2] || sb.length != 3 || sb[1] != sb[2] || sv.length != 2) {
            throw new IllegalArgumentException(where + "a_blocks and b_blocks must be [blocks, bs, bs] and core_values"
                    + " [M, K/2], got " + ta + ", " + tb + ", " + tv);
        }
        int m = Math.toIntExact(sv[0]);
        int k = Math.toIntExact(sv[1] * 2);
        int ba = Math.toIntExact(sa[1]);
        int bb = Math.toIntExact(sb[1]);
        if (sa[0] * ba != m || sb[0] * bb != k) {
            throw new IllegalArgumentException(where + "wrappers " + ta + " and " + tb + " do not fit a core of "
                    + m + "x" + k);
        }
        DType vt = tv.dtype().toMatrixDType();
        tc.requireShape(m, Sparse24.wordsPerRow(k));
        BlockDiagonal a = null;
        Sparse24 core = null;
        BlockDiagonal b = null;
        try {
            a = BlockDiagonal.of(m, ba, ta.data(), where + "A");
            core = Sparse24.fromParts(m, k, vt, tv.data(), tc.data());
            b = BlockDiagonal.of(k, bb, tb.data(), where + "B");
            return of(a, core, b, bias);
        } catch (RuntimeException e) {
            closeAll(a, core, b);
            throw e;
        }
    }

    private static void closeAll(AutoCloseable... parts) {
        for (AutoCloseable p : parts) {
            if (p != null) {
                try {
                    p.close();
                } catch (Exception ignored) {
                    // closing our own off-heap parts cannot fail in a way worth reporting over the original error
                }
            }
        }
    }

    private static SafeTensors.Tensor tensor(SafeTensors st, String name, TensorDType dtype, String where) {
        SafeTensors.Tensor t = st.tensor(name);
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(where + "tensor '" + name + "' is " + t.dtype() + ", expected " + dtype);
        }
        return t;
    }

    private static void expect(Map<String, String> meta, String key, String value, String where) {
        if (!value.equals(meta.get(key))) {
            throw new IllegalArgumentException(where + "metadata '" + key + "' is '" + meta.get(key) + "', expected '"
                    + value + "'");
        }
    }

    private static int positive(Map<String, String> meta, String key, String where) {
        String s = meta.get(key);
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
