package dev.spruce.kernel.vector;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.PreparedGemm;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.layout.BlockSparse;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.lang.foreign.MemorySegment;

/**
 * The jdk.incubator.vector backend: a thin dispatcher that validates arguments, picks a kernel by
 * shape and splits the output rows over {@link Parallel}. The kernels live in their own classes
 * ({@link DenseGemv}, {@link DenseGemm}), loaded once per vector width by {@link WidthSpecialized};
 * this class holds no Vector API statics, so {@code Backends} can load it by name and catch a refusal.
 *
 * <p>Other kernels (sparse layouts) extend the same pattern: a kernel interface, a width-specialised
 * implementation, a field here filled by {@link WidthSpecialized#instance} and an override of the
 * {@link Backend} default method.
 */
public class VectorBackend implements Backend {
    /**
     * {@code -Dspruce.densePanels=false} keeps prepared dense weights in place: no second copy of each dense layer,
     * at the cost of the panel kernel's speed (for a large dense model where memory matters more).
     */
    private static final boolean PANELS = !"false".equals(System.getProperty("spruce.densePanels"));
    /** Below this many tokens GEMM runs as dot products (GEMV shape), above as register-blocked tiles. */
    private final int tileMinTokens;
    private final int bits;
    private final int threads;
    private final DotKernel dot;
    private final TileKernel tile;
    private final PanelKernel panel;
    private final Sparse24VectorOps sparse24;
    private final ArmorVectorOps armor;
    private final BlockSparseVectorOps blockSparse;
    private final AttentionKernel attention;

    /**
     * @param vectorBits 0 for the CPU's preferred width, or 128 / 256 / 512 to force one (tests)
     * @param threads    worker threads per call, at least 1
     * @throws UnsupportedOperationException if the width is below 128 bits, not 128/256/512, or wider
     *                                       than this CPU's vectors (emulated vectors would be slower than scalar code)
     */
    public VectorBackend(int vectorBits, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        int preferred = VectorConstants.PREFERRED_BITS;
        if (preferred < 128) {
            throw new UnsupportedOperationException("the CPU's preferred vector width is " + preferred
                    + " bits; the Vector API backend needs at least 128");
        }
        int b = vectorBits == 0 ? preferred : vectorBits;
        if (b != 128 && b != 256 && b != 512) {
            throw new UnsupportedOperationException("vector width " + vectorBits
                    + " bits is not supported (use 0 for the preferred width, or 128, 256, 512)");
        }
        if (b > preferred) {
            throw new UnsupportedOperationException("vector width " + b + " bits is wider than this CPU's "
                    + preferred + "-bit vectors");
        }
        this.bits = b;
        this.threads = threads;
        this.dot = WidthSpecialized.instance(DenseGemv.class, DotKernel.class, b);
        this.tile = WidthSpecialized.instance(DenseGemm.class, TileKernel.class, b);
        this.tileMinTokens = tile.blockTokens() / 2;
        this.panel = WidthSpecialized.instance(PanelGemm.class, PanelKernel.class, b);
        this.sparse24 = new Sparse24VectorOps(b, threads);
        this.armor = new ArmorVectorOps(b, threads, sparse24);
        this.blockSparse = new BlockSparseVectorOps(b, threads);
        this.attention = WidthSpecialized.instance(SelfAttention.class, AttentionKernel.class, b);
    }

    /** Preferred width, default thread count. */
    public VectorBackend() {
        this(0, Parallel.defaultThreadCount());
    }

    @Override
    public String name() {
        return "vector";
    }

    /** The vector width in bits this backend's kernels use. */
    public int vectorBits() {
        return bits;
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public String toString() {
        return bits + "-bit vectors (preferred " + VectorConstants.PREFERRED_BITS + "), "
                + (VectorConstants.FAST_FMA ? "FMA" : "mul+add") + ", "
                + (CachePrefetch.unavailable() == null ? "cache prefetch" : "no cache prefetch (" + CachePrefetch.unavailable() + ")")
                + ", " + threads + " thread(s)";
    }

    @Override
    public boolean supports(Op op, DType weights) {
        if (op == Op.SPMV24 || op == Op.SPMM24) {
            return Sparse24VectorOps.supports(weights);
        }
        if (op == Op.BLOCK_SPMM) {
            return BlockSparseVectorOps.supports(weights);
        }
        if (op == Op.ARMOR) {
            return ArmorVectorOps.supports(weights);
        }
        if (op == Op.ATTENTION) {
            return weights == DType.F32;
        }
        return (op == Op.GEMV || op == Op.GEMM) && weights != null;
    }

    @Override
    public void attention(float[] q, float[] k, float[] v, float[] ctx, int[] offsets, int heads, int headDim,
                          float scale) {
        Checks.attention(q, k, v, ctx, offsets, heads, headDim, scale);
        Parallel.forRange((offsets.length - 1) * heads, threads, 1,
                (t0, t1) -> attention.tasks(q, k, v, ctx, offsets, heads, headDim, scale, t0, t1));
    }

    @Override
    public void gemv(Matrix w, Matrix x, Matrix y) {
        Checks.gemv(w, x, y);
        dots(w, x, y);
    }

    @Override
    public void gemm(Matrix w, Matrix x, Matrix y) {
        Checks.gemm(w, x, y);
        if (x.rows() < tileMinTokens) {
            dots(w, x, y);
        } else {
            tiles(w, x, y);
        }
    }

    /**
     * F32 weights are copied into panels ({@link DensePanels}) for {@link PanelGemm}, which runs any token
     * count in whole register tiles; 16-bit weights stay in place (a panel copy would be f32, twice their
     * size), as do weights too large for one Java array.
     */
    @Override
    public PreparedGemm prepareGemm(Matrix w) {
        Checks.notNull(w, "weights");
        w.requireOpen();
        if (!PANELS || !DensePanels.fits(w, panel.panelRows())) {
            return PreparedGemm.inPlace(this, w);
        }
        return DensePanels.pack(w, panel, threads, this);
    }

    private void dots(Matrix w, Matrix x, Matrix y) {
        final MemorySegment ws = w.segment();
        final MemorySegment xs = x.segment();
        final MemorySegment ys = y.segment();
        final int wt = WeightType.of(w.dtype());
        final int m = w.rows();
        final int k = w.cols();
        final int n = x.rows();
        Parallel.forRange(m, threadsFor(m, k, n), 16, (r0, r1) -> dot.rows(ws, wt, m, k, xs, n, ys, r0, r1));
    }

    private void tiles(Matrix w, Matrix x, Matrix y) {
        final MemorySegment ws = w.segment();
        final MemorySegment xs = x.segment();
        final MemorySegment ys = y.segment();
        final int wt = WeightType.of(w.dtype());
        final int m = w.rows();
        final int k = w.cols();
        final int n = x.rows();
        final int nb = tile.blockTokens();
        final int blocks = (n + nb - 1) / nb;
        final float[] xt = PackBuffer.PACKED_X.get((long) blocks * nb * k);
        int t = threadsFor(m, k, n);
        Parallel.forRange(TileKernel.packUnits(n, k, nb), t, 1, (u0, u1) -> tile.pack(xs, n, k, xt, u0, u1));
        Parallel.forRange(m, t, DenseGemm.MR, (r0, r1) -> tile.rows(ws, wt, m, k, xt, n, ys, r0, r1));
    }

    /** Threads for an M x K x N dense product (small ones stay on the caller's thread). */
    private int threadsFor(int m, int k, int n) {
        return Parallel.threadsFor((long) m * k * n, threads);
    }

    @Override
    public void spmv24(Sparse24 s, Matrix x, Matrix y) {
        sparse24.spmv24(s, x, y);
    }

    @Override
    public void spmm24(Sparse24 s, Matrix x, Matrix y) {
        sparse24.spmm24(s, x, y);
    }

    @Override
    public void armor(ArmorLayout l, Matrix x, Matrix y) {
        armor.armor(l, x, y);
    }

    @Override
    public void blockSpmm(BlockSparse s, Matrix x, Matrix y) {
        blockSparse.blockSpmm(s, x, y);
    }
}
