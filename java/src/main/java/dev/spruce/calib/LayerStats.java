package dev.spruce.calib;

import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.linalg.LinAlg;
import dev.spruce.kernel.linalg.LinAlgKernels;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Calibration statistics of one linear layer's input: the Gram matrix G = X<sup>T</sup>X (K x K, float64)
 * or only its diagonal (the squared input norm of each of the K columns), and the number of tokens seen.
 *
 * <p>Activations arrive in batches, one token per row (N x K). Sums are kept in float64 so that
 * millions of tokens do not lose the small contributions; no normalisation is applied (G is the raw
 * sum): every pruner here is invariant to a constant scale of its statistics.
 *
 * <p><b>Full mode</b> (SparseGPT, proxy losses) accumulates the upper triangle of G with the blocked
 * float64 GEMM (tokens converted to float64 in chunks of {@value #CHUNK}, each chunk a rank-CHUNK
 * symmetric update run as one GEMM per row tile, spread over the kernel pool): 2048 tokens x 4096
 * inputs is 17 G multiply-adds, about a second on two AVX-512 cores. <b>Diagonal mode</b> (Wanda, NoWag-P)
 * keeps only the K squared norms and costs one pass over the batch.
 *
 * <p><b>Threads.</b> All mutating methods and the readers are {@code synchronized}: concurrent calls
 * on one instance are safe but run one after another (each call is itself multi-threaded). To
 * collect from several producer threads without waiting, give each its own instance and
 * {@link #merge} them at the end; sums are associative up to float64 rounding.
 *
 * <p>Every activation is checked before anything is added: a NaN or infinity is rejected with an
 * {@link IllegalArgumentException} naming the layer, the batch row and the column, and the
 * statistics stay as they were.
 */
public final class LayerStats {
    /** Tokens per float64 conversion chunk (the depth of each GEMM). */
    static final int CHUNK = 256;
    /** Rows of G per accumulation task. */
    private static final int TILE = 64;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private final String name;
    private final int k;
    /** Upper triangle (j >= i) of G, row-major K x K; null in diagonal mode. Entries below the diagonal are unused. */
    private final double[] upper;
    /** Diagonal mode: the sums of squares. Full mode: unused (G's diagonal is authoritative). */
    private final double[] diag;
    private long tokens;
    private long batches;
    private final int threads;
    private final LinAlgKernels kern;

    private LayerStats(String name, int k, boolean full, int threads) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("layer name must not be empty");
        }
        if (k <= 0) {
            throw new IllegalArgumentException("layer '" + name + "': input width K must be positive, got " + k);
        }
        if (full && (long) k * k > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("layer '" + name + "': a " + k + "x" + k
                    + " Gram matrix does not fit one Java array; use diagonal mode");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.name = name;
        this.k = k;
        this.upper = full ? new double[k * k] : null;
        this.diag = full ? null : new double[k];
        this.threads = threads;
        this.kern = LinAlg.kernels();
    }

    /** Statistics with the full Gram matrix (needed by SparseGPT and for the exact proxy loss). */
    public static LayerStats full(String layer, int k) {
        return new LayerStats(layer, k, true, Parallel.defaultThreadCount());
    }

    /** Statistics with the full Gram matrix, accumulated on {@code threads} threads. */
    public static LayerStats full(String layer, int k, int threads) {
        return new LayerStats(layer, k, true, threads);
    }

    /** Cheap statistics: only the squared column norms (enough for Wanda and NoWag-P). */
    public static LayerStats diagonalOnly(String layer, int k) {
        return new LayerStats(layer, k, false, 1);
    }

    /**
     * Statistics from a known Gram matrix (K x K row-major, symmetric, finite, non-negative diagonal),
     * e.g. loaded from disk or built by a test. Only the upper triangle is read after the checks.
     */
    public static LayerStats ofGram(String layer, double[] gram, int k, long tokens) {
        LayerStats s = new LayerStats(layer, k, true, Parallel.defaultThreadCount());
        if (gram == null || gram.length != (long) k * k) {
            throw new IllegalArgumentException("layer '" + layer + "': Gram matrix must have " + (long) k * k
                    + " entries, got " + (gram == null ? "null" : gram.length));
        }
        checkTokens(layer, tokens);
        for (int i = 0; i < k; i++) {
            for (int j = i; j < k; j++) {
                double v = gram[i * k + j];
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("layer '" + layer + "': Gram entry (" + i + ", " + j + ") is " + v);
                }
                if (v != gram[j * k + i]) {
                    throw new IllegalArgumentException("layer '" + layer + "': Gram matrix is not symmetric at ("
                            + i + ", " + j + "): " + v + " vs " + gram[j * k + i]);
                }
            }
            if (gram[i * k + i] < 0) {
                throw new IllegalArgumentException("layer '" + layer + "': Gram diagonal " + i + " is negative ("
                        + gram[i * k + i] + ")");
            }
        }
        System.arraycopy(gram, 0, s.upper, 0, gram.length);
        s.tokens = tokens;
        s.batches = 1;
        return s;
    }

    /** Diagonal-only statistics from known squared column norms (finite and non-negative). */
    public static LayerStats ofDiagonal(String layer, double[] squaredNorms, long tokens) {
        if (squaredNorms == null) {
            throw new IllegalArgumentException("layer '" + layer + "': squared norms must not be null");
        }
        LayerStats s = new LayerStats(layer, squaredNorms.length, false, 1);
        checkTokens(layer, tokens);
        for (int j = 0; j < squaredNorms.length; j++) {
            double v = squaredNorms[j];
            if (!Double.isFinite(v) || v < 0) {
                throw new IllegalArgumentException("layer '" + layer + "': squared input norm of column " + j
                        + " is " + v + " (must be finite and >= 0)");
            }
        }
        System.arraycopy(squaredNorms, 0, s.diag, 0, squaredNorms.length);
        s.tokens = tokens;
        s.batches = 1;
        return s;
    }

    private static void checkTokens(String layer, long tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("layer '" + layer + "': token count must be >= 0, got " + tokens);
        }
    }

    public String name() {
        return name;
    }

    /** Input width K (columns of the activations, in-features of the layer). */
    public int k() {
        return k;
    }

    /** Whether the full Gram matrix is kept (false: diagonal only). */
    public boolean hasGram() {
        return upper != null;
    }

    public synchronized long tokens() {
        return tokens;
    }

    public synchronized long batches() {
        return batches;
    }

    /** Adds a batch of activations (N x K, one token per row, any dtype; values read as float). */
    public synchronized void accumulate(Matrix x) {
        if (x == null) {
            throw new IllegalArgumentException("layer '" + name + "': activation batch must not be null");
        }
        x.requireOpen();
        checkWidth(x.cols());
        int n = x.rows();
        float[] data = x.dtype() == DType.F32 ? null : x.toFloatArray();
        MemorySegment seg = x.segment();
        float[] buf = new float[k]; // add() copies rows one at a time on this thread
        RowSource rows = data != null
                ? (r, dst, off) -> { for (int j = 0; j < k; j++) dst[off + j] = data[r * k + j]; }
                : (r, dst, off) -> {
                    MemorySegment.copy(seg, F32, (long) r * k * 4, buf, 0, k);
                    for (int j = 0; j < k; j++) dst[off + j] = buf[j];
                };
        if (data != null) {
            checkFinite(data, n);
        } else {
            float[] row = new float[k];
            for (int r = 0; r < n; r++) {
                MemorySegment.copy(seg, F32, (long) r * k * 4, row, 0, k);
                checkFiniteRow(row, r);
            }
        }
        add(n, rows);
    }

    /** Adds a batch given as one float[K] per token. */
    public synchronized void accumulate(float[][] x) {
        if (x == null) {
            throw new IllegalArgumentException("layer '" + name + "': activation batch must not be null");
        }
        for (int r = 0; r < x.length; r++) {
            if (x[r] == null) {
                throw new IllegalArgumentException("layer '" + name + "': activation row " + r + " is null");
            }
            checkWidth(x[r].length);
            checkFiniteRow(x[r], r);
        }
        add(x.length, (r, dst, off) -> { for (int j = 0; j < k; j++) dst[off + j] = x[r][j]; });
    }

    /** Adds a batch given row-major in {@code data} (length tokens * K). */
    public synchronized void accumulate(float[] data, int tokens) {
        if (data == null || tokens < 0 || (long) tokens * k != data.length) {
            throw new IllegalArgumentException("layer '" + name + "': expected " + tokens + " x " + k
                    + " activations, got " + (data == null ? "null" : data.length + " values"));
        }
        checkFinite(data, tokens);
        add(tokens, (r, dst, off) -> { for (int j = 0; j < k; j++) dst[off + j] = data[r * k + j]; });
    }

    /** Copies token row r of the batch, widened to double, into dst[off .. off+K). */
    private interface RowSource {
        void copy(int r, double[] dst, int off);
    }

    private void checkWidth(int cols) {
        if (cols != k) {
            throw new IllegalArgumentException("layer '" + name + "': activations have " + cols
                    + " columns but the layer takes K=" + k + " inputs");
        }
    }

    private void checkFinite(float[] data, int n) {
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < k; j++) {
                float v = data[r * k + j];
                if (!Float.isFinite(v)) {
                    throw nonFinite(r, j, v);
                }
            }
        }
    }

    private void checkFiniteRow(float[] row, int r) {
        for (int j = 0; j < k; j++) {
            if (!Float.isFinite(row[j])) {
                throw nonFinite(r, j, row[j]);
            }
        }
    }

    private IllegalArgumentException nonFinite(int r, int j, float v) {
        return new IllegalArgumentException("layer '" + name + "': activation at batch row " + r + ", column " + j
                + " is " + v + "; calibration statistics must be finite (nothing from this batch was added)");
    }

    private void add(int n, RowSource rows) {
        if (n == 0) {
            return;
        }
        if (upper == null) {
            double[] row = new double[k];
            for (int r = 0; r < n; r++) {
                rows.copy(r, row, 0);
                for (int j = 0; j < k; j++) {
                    diag[j] += row[j] * row[j];
                }
            }
        } else {
            int c = Math.min(CHUNK, n);
            double[] xc = new double[c * k];  // chunk tokens x K
            double[] xt = new double[k * c];  // its transpose, K x chunk: the GEMM's A operand
            for (int t0 = 0; t0 < n; t0 += CHUNK) {
                int tc = Math.min(CHUNK, n - t0);
                for (int t = 0; t < tc; t++) {
                    rows.copy(t0 + t, xc, t * k);
                }
                for (int t = 0; t < tc; t++) {
                    for (int j = 0; j < k; j++) {
                        xt[j * tc + t] = xc[t * k + j];
                    }
                }
                addUpper(xt, xc, tc);
            }
        }
        tokens += n;
        batches++;
    }

    /** G[i][j] += sum_t x[t][i] x[t][j] for j >= TILE-floor(i): one GEMM per TILE rows of G. */
    private void addUpper(double[] xt, double[] xc, int tc) {
        int tiles = (k + TILE - 1) / TILE;
        // Tiles near the top have the most columns; many small tasks balance the staircase.
        Parallel.forRange(tiles, Math.min(tiles, threads * 8), 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                int i0 = t * TILE;
                int rows = Math.min(TILE, k - i0);
                kern.gemm(rows, k - i0, tc, 1.0, xt, i0 * tc, tc, xc, i0, k, upper, i0 * k + i0, k);
            }
        });
    }

    /** Adds another layer's statistics (same K). A diagonal-only instance accepts full ones (it keeps their diagonal). */
    public void merge(LayerStats other) {
        if (other == null) {
            throw new IllegalArgumentException("layer '" + name + "': cannot merge null statistics");
        }
        if (other == this) {
            throw new IllegalArgumentException("layer '" + name + "': cannot merge statistics into themselves");
        }
        if (other.k != k) {
            throw new IllegalArgumentException("layer '" + name + "': cannot merge statistics of K=" + other.k
                    + " ('" + other.name + "') into K=" + k);
        }
        if (upper != null && other.upper == null) {
            throw new IllegalArgumentException("layer '" + name + "': cannot merge diagonal-only statistics ('"
                    + other.name + "') into full Gram statistics");
        }
        double[] otherUpper;
        double[] otherDiag;
        long otherTokens;
        long otherBatches;
        synchronized (other) { // snapshot first, so two instances merging into each other cannot deadlock
            otherUpper = upper != null ? other.upper.clone() : null;
            otherDiag = other.diagonal();
            otherTokens = other.tokens;
            otherBatches = other.batches;
        }
        synchronized (this) {
            if (upper != null) {
                for (int i = 0; i < k; i++) {
                    for (int j = i * k + i, end = (i + 1) * k; j < end; j++) {
                        upper[j] += otherUpper[j];
                    }
                }
            } else {
                for (int j = 0; j < k; j++) {
                    diag[j] += otherDiag[j];
                }
            }
            tokens += otherTokens;
            batches += otherBatches;
        }
    }

    /** A copy of the squared input norms, sum over tokens of x_j^2 (the diagonal of G). */
    public synchronized double[] diagonal() {
        if (upper == null) {
            return diag.clone();
        }
        double[] d = new double[k];
        for (int j = 0; j < k; j++) {
            d[j] = upper[j * k + j];
        }
        return d;
    }

    /** A copy of the full symmetric Gram matrix, K x K row-major. */
    public synchronized double[] gram() {
        requireGram();
        double[] g = new double[k * k];
        copyGramInto(g);
        return g;
    }

    /** Writes the full symmetric Gram matrix into {@code dst} (length >= K*K), for callers that reuse a buffer. */
    public synchronized void copyGramInto(double[] dst) {
        requireGram();
        if (dst.length < k * k) {
            throw new IllegalArgumentException("buffer of " + dst.length + " doubles cannot hold a " + k + "x" + k + " Gram matrix");
        }
        for (int i = 0; i < k; i++) {
            System.arraycopy(upper, i * k + i, dst, i * k + i, k - i);
            for (int j = 0; j < i; j++) {
                dst[i * k + j] = upper[j * k + i];
            }
        }
    }

    /** G[i][j]. */
    public synchronized double gram(int i, int j) {
        requireGram();
        if (i < 0 || j < 0 || i >= k || j >= k) {
            throw new IndexOutOfBoundsException("(" + i + ", " + j + ") outside " + k + "x" + k);
        }
        return i <= j ? upper[i * k + j] : upper[j * k + i];
    }

    private void requireGram() {
        if (upper == null) {
            throw new IllegalStateException("layer '" + name + "': only the diagonal was collected (diagonalOnly); "
                    + "collect with LayerStats.full to get the Gram matrix");
        }
    }

    @Override
    public synchronized String toString() {
        return "LayerStats[" + name + ", K=" + k + ", " + (upper != null ? "full Gram" : "diagonal") + ", "
                + tokens + " tokens in " + batches + " batches]";
    }

    /** Used by tests: true iff both hold exactly the same sums. */
    synchronized boolean sameSums(LayerStats o) {
        return Arrays.equals(diagonal(), o.diagonal()) && (upper == null || Arrays.equals(gram(), o.gram()));
    }
}
