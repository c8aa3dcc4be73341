package dev.spruce.prune.alloc;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Op;
import dev.spruce.layout.BlockSparse;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * {@link BlockLatency} measured in-process on the machine at hand: for each (layer shape, block shape,
 * batch) asked for, the dense kernel ({@link Backend#gemm}) is timed once for sparsity 0 and the block-sparse
 * kernel ({@link Backend#blockSpmm}) on random block masks at a grid of sparsities; other sparsities are
 * interpolated linearly between grid points (clamped at the ends). Tables are cached per shape, so an
 * allocation over 36 layers of three shapes times three tables.
 *
 * <p>Each point is the fastest of {@value #SAMPLES} samples (on a shared machine other work only ever adds
 * time), each sample as many calls as fill {@code sampleSeconds} after a warm-up of the same length; the
 * first table is preceded by {@code warmupSeconds} of both kernels so the JIT has compiled them. Random masks are fine for the cost because the
 * kernels' work depends on the kept-block count and its spread over block rows, not on which blocks.
 */
public final class MeasuredBlockLatency implements BlockLatency {
    static final int SAMPLES = 5;

    private final Backend sparse;
    private final Backend dense;
    private final double[] grid;
    private final double sampleSeconds;
    private final double warmupSeconds;
    private boolean warm;
    private final Map<String, double[]> tables = new HashMap<>();

    /** The fastest CPU backends for block-sparse and dense F32 products, grid 0.1 .. 0.9, 20 ms samples. */
    public MeasuredBlockLatency() {
        this(Backends.bestCpu(Op.BLOCK_SPMM, DType.F32), Backends.bestCpu(Op.GEMM, DType.F32),
                new double[]{0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}, 0.02, 1.0);
    }

    /**
     * @param grid          sparsities the sparse kernel is timed at: increasing, inside [0, 1), starting at 0
     * @param sampleSeconds length of one timing sample (> 0)
     * @param warmupSeconds JIT warm-up of both kernels before the first table (>= 0)
     */
    public MeasuredBlockLatency(Backend sparse, Backend dense, double[] grid, double sampleSeconds, double warmupSeconds) {
        if (sparse == null || dense == null) {
            throw new IllegalArgumentException("backends must not be null");
        }
        if (!sparse.supports(Op.BLOCK_SPMM, DType.F32)) {
            throw new IllegalArgumentException("backend " + sparse.name() + " has no F32 block-sparse product");
        }
        if (grid == null || grid.length < 2 || grid[0] != 0) {
            throw new IllegalArgumentException("latency grid must start at 0 and have >= 2 points");
        }
        for (int i = 1; i < grid.length; i++) {
            if (!(grid[i] > grid[i - 1] && grid[i] < 1)) {
                throw new IllegalArgumentException("latency grid must increase strictly inside [0, 1): " + Arrays.toString(grid));
            }
        }
        if (!(sampleSeconds > 0 && sampleSeconds < 60)) {
            throw new IllegalArgumentException("sample seconds must be in (0, 60), got " + sampleSeconds);
        }
        this.sparse = sparse;
        this.dense = dense;
        this.grid = grid.clone();
        if (!(warmupSeconds >= 0 && warmupSeconds < 600)) {
            throw new IllegalArgumentException("warm-up seconds must be in [0, 600), got " + warmupSeconds);
        }
        this.sampleSeconds = sampleSeconds;
        this.warmupSeconds = warmupSeconds;
    }

    @Override
    public synchronized double seconds(int rows, int cols, int blockHeight, int blockWidth, double sparsity, int batch) {
        if (!(sparsity >= 0 && sparsity < 1)) {
            throw new IllegalArgumentException("sparsity must be in [0, 1), got " + sparsity);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        new dev.spruce.prune.Pattern.Block(blockHeight, blockWidth, 0).checkShape(rows, cols);
        double[] t = tables.computeIfAbsent(rows + "x" + cols + "/" + blockHeight + "x" + blockWidth + "/" + batch,
                key -> measure(rows, cols, blockHeight, blockWidth, batch));
        if (sparsity == 0) {
            return t[0];
        }
        // t[1 + i] is the sparse kernel at grid[i]
        if (sparsity >= grid[grid.length - 1]) {
            return t[grid.length];
        }
        int i = 1;
        while (grid[i] < sparsity) {
            i++;
        }
        double f = (sparsity - grid[i - 1]) / (grid[i] - grid[i - 1]);
        return t[i] + f * (t[i + 1] - t[i]);
    }

    /** [dense, sparse at grid[0], sparse at grid[1], ...] in seconds per product. */
    private double[] measure(int rows, int cols, int bh, int bw, int batch) {
        Random rnd = new Random(rows * 31L + cols * 7L + bh * 3L + bw + batch * 131L);
        float[] wv = new float[rows * cols];
        for (int i = 0; i < wv.length; i++) {
            wv[i] = (float) rnd.nextGaussian();
        }
        float[] xv = new float[batch * cols];
        for (int i = 0; i < xv.length; i++) {
            xv[i] = (float) rnd.nextGaussian();
        }
        double[] out = new double[grid.length + 1];
        try (Matrix w = Matrix.of(wv, rows, cols, DType.F32); Matrix x = Matrix.of(xv, batch, cols, DType.F32);
             Matrix y = Matrix.allocate(batch, rows, DType.F32)) {
            int blocks = (rows / bh) * (cols / bw);
            if (!warm) {
                try (BlockSparse s = BlockSparse.fromDense(w, bh, bw, randomKeep(blocks, blocks / 2, rnd), DType.F32)) {
                    long end = System.nanoTime() + (long) (warmupSeconds * 1e9);
                    while (System.nanoTime() < end) {
                        dense.gemm(w, x, y);
                        sparse.blockSpmm(s, x, y);
                    }
                }
                warm = true;
            }
            out[0] = time(() -> dense.gemm(w, x, y));
            for (int g = 0; g < grid.length; g++) {
                int removed = new dev.spruce.prune.Pattern.Block(bh, bw, grid[g]).removedBlocks(blocks);
                boolean[] keep = randomKeep(blocks, blocks - removed, rnd);
                try (BlockSparse s = BlockSparse.fromDense(w, bh, bw, keep, DType.F32)) {
                    out[g + 1] = time(() -> sparse.blockSpmm(s, x, y));
                }
            }
        }
        return out;
    }

    private static boolean[] randomKeep(int blocks, int kept, Random rnd) {
        int[] idx = new int[blocks];
        for (int i = 0; i < blocks; i++) {
            idx[i] = i;
        }
        for (int i = blocks - 1; i > 0; i--) { // Fisher-Yates
            int j = rnd.nextInt(i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        boolean[] keep = new boolean[blocks];
        for (int i = 0; i < kept; i++) {
            keep[idx[i]] = true;
        }
        return keep;
    }

    /** Fastest seconds per call over SAMPLES samples of about sampleSeconds each, after one warm-up sample. */
    private double time(Runnable call) {
        long budget = (long) (sampleSeconds * 1e9);
        long t0 = System.nanoTime();
        int calls = 0;
        do {
            call.run();
            calls++;
        } while (System.nanoTime() - t0 < budget);
        double[] s = new double[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            long a = System.nanoTime();
            for (int c = 0; c < calls; c++) {
                call.run();
            }
            s[i] = (System.nanoTime() - a) / 1e9 / calls;
        }
        Arrays.sort(s);
        return Math.max(s[0], 1e-12);
    }
}
