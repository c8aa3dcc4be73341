package dev.spruce.kernel.vector;

import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.PreparedGemm;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Dense f32 weights W (M x K) re-laid out for {@link PanelGemm}: rows in panels of {@code nr} (two vectors of
 * lanes), and inside a panel, for each k, the nr rows' weights side by side:
 * {@code panels[(p*K + k)*nr + j] = W[p*nr + j, k]}, zero for rows past M. So one panel is one contiguous
 * stream, read front to back once per product, and a k-step's weights are two aligned vector loads.
 *
 * <p>Made once per layer ({@link VectorBackend#prepareGemm}). Costs as many bytes as the f32 weights (plus the
 * padding of the last panel). Wide layers at many tokens still multiply with W in place (see
 * {@link #IN_PLACE_MIN_TOKENS}), so W must stay open and unchanged, as {@link PreparedGemm} requires. Immutable once
 * built, so one instance serves any number of threads.
 */
final class DensePanels implements PreparedGemm {
    private static final int CHUNKS_PER_THREAD = 3;
    /**
     * From this many tokens on, layers at least {@link #IN_PLACE_MIN_K} wide run {@link DenseGemm} on the weights in
     * place: with 32 tokens it fills its two token vectors exactly and reads W once, where the panels are read once
     * per 6-token tile. JMH here (2026-11-30, one thread): 11008x4096 and 4096x11008 at 32 tokens 1.2-1.4x faster in
     * place, at 8 tokens 1.1-1.3x faster in panels, at 256 even; MiniLM's 384- and 1536-wide layers were faster in
     * panels at every batch measured (7 to 640 tokens).
     */
    static final int IN_PLACE_MIN_TOKENS = 32;
    static final int IN_PLACE_MIN_K = 2048;
    private final int m;
    private final int k;
    private final int nr;
    private final float[] panels;
    private final PanelKernel kernel;
    private final int threads;
    /** The backend's GEMM on the weights in place, for the shapes where that is faster (see {@link #gemm}). */
    private final PreparedGemm inPlace;

    private DensePanels(int m, int k, int nr, float[] panels, PanelKernel kernel, int threads,
                        PreparedGemm inPlace) {
        this.m = m;
        this.k = k;
        this.nr = nr;
        this.panels = panels;
        this.kernel = kernel;
        this.threads = threads;
        this.inPlace = inPlace;
    }

    /** Whether {@code w} can be packed: f32 and the panels fit one Java array. */
    static boolean fits(Matrix w, int nr) {
        long panelCount = (w.rows() + nr - 1) / nr;
        return w.dtype() == DType.F32 && panelCount * nr * w.cols() <= Integer.MAX_VALUE - 16;
    }

    /**
     * Packs {@code w} (see {@link #fits}) for {@code kernel}, the panels split over {@code threads}; products of
     * wide layers at 32 tokens and more go to {@code inPlace}'s GEMM on {@code w}, which must stay open.
     */
    static DensePanels pack(Matrix w, PanelKernel kernel, int threads, VectorBackend inPlace) {
        Checks.notNull(w, "weights");
        w.requireOpen();
        final int nr = kernel.panelRows();
        if (!fits(w, nr)) {
            throw new IllegalArgumentException("cannot pack " + w.shapeString() + " " + w.dtype()
                    + " weights into f32 panels (F32 only, at most 2^31 elements)");
        }
        final int m = w.rows();
        final int k = w.cols();
        final int count = (m + nr - 1) / nr;
        final float[] panels = new float[count * nr * k];
        final MemorySegment ws = w.segment();
        Parallel.forRange(count, threads, 1, (p0, p1) -> {
            float[] row = new float[k];
            for (int p = p0; p < p1; p++) {
                for (int j = 0; j < nr && p * nr + j < m; j++) {
                    MemorySegment.copy(ws, ValueLayout.JAVA_FLOAT, 4L * k * (p * nr + j), row, 0, k);
                    int base = p * k * nr + j;
                    for (int kk = 0; kk < k; kk++) {
                        panels[base + kk * nr] = row[kk];
                    }
                }
            }
        });
        return new DensePanels(m, k, nr, panels, kernel, threads, PreparedGemm.inPlace(inPlace, w));
    }

    @Override
    public int rows() {
        return m;
    }

    @Override
    public int cols() {
        return k;
    }

    @Override
    public long packedBytes() {
        return 4L * panels.length;
    }

    @Override
    public void gemm(Matrix x, Matrix y) {
        gemm(x, y, null);
    }

    /** The bias is added as each panel's sums are copied into Y, by the thread that computed them. */
    @Override
    public void gemm(Matrix x, Matrix y, float[] bias) {
        Checks.bias(bias, m);
        Checks.f32(x, "input X");
        Checks.f32(y, "output Y");
        Checks.batch(m, k, x, y);
        final int n = x.rows();
        if (n >= IN_PLACE_MIN_TOKENS && k >= IN_PLACE_MIN_K) {
            inPlace.gemm(x, y, bias);
            return;
        }
        final float[] xs = PackBuffer.PACKED_X.get((long) n * k);
        MemorySegment.copy(x.segment(), ValueLayout.JAVA_FLOAT, 0, xs, 0, n * k);
        final MemorySegment ys = y.segment();
        final int t = Parallel.threadsFor((long) m * k * n, threads);
        // Three chunks per thread, claimed dynamically: a worker that starts late (it first pulls the caller's
        // fresh X copy across cores) takes fewer, instead of the caller waiting for its one big chunk; measured
        // 2026-11-30, MiniLM batch 1 on 2 threads: 6-20% faster than one chunk per thread in 3 of 3 A/B pairs.
        Parallel.forRangeBalanced((m + nr - 1) / nr, t, 1, CHUNKS_PER_THREAD,
                (p0, p1) -> kernel.panels(panels, m, k, xs, n, ys, bias, p0, p1));
    }

    @Override
    public String toString() {
        return "DensePanels[" + m + "x" + k + ", " + nr + "-row panels, " + kernel + "]";
    }
}
