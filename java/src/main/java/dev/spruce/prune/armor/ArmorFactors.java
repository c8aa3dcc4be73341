package dev.spruce.prune.armor;

import dev.spruce.kernel.linalg.LinAlg;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.layout.BlockDiagonal;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.util.OptionalDouble;

/**
 * What {@link ArmorFactorizer} returns for one M x K layer: Ŵ = A · S · B with A (M x M) and B (K x K)
 * block-diagonal (NoWag's normalisers already folded in: A's rows carry r, B's columns carry c) and S a 2:4
 * core (M x K, zeros where pruned, in the normalised space), all float32 as a layout would store them, plus the
 * losses and the run's history. Heap arrays; nothing to close.
 */
public final class ArmorFactors {
    private final int rows;
    private final int cols;
    private final BlockSizePolicy.Sizes blocks;
    private final float[] a;
    private final float[] b;
    private final float[] core;
    private final double startLoss;
    private final double finalLoss;
    private final OptionalDouble relativeLoss;
    private final double diagonalLoss;
    private final double[] history;
    private final double seconds;
    private final double[] phaseSeconds;
    private final ArmorConfig config;

    ArmorFactors(int rows, int cols, BlockSizePolicy.Sizes blocks, float[] a, float[] b, float[] core, double startLoss,
                 double finalLoss, OptionalDouble relativeLoss, double diagonalLoss, double[] history, double seconds,
                 double[] phaseSeconds, ArmorConfig config) {
        this.rows = rows;
        this.cols = cols;
        this.blocks = blocks;
        this.a = a;
        this.b = b;
        this.core = core;
        this.startLoss = startLoss;
        this.finalLoss = finalLoss;
        this.relativeLoss = relativeLoss;
        this.diagonalLoss = diagonalLoss;
        this.history = history;
        this.seconds = seconds;
        this.phaseSeconds = phaseSeconds;
        this.config = config;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Block sizes of A (rows) and B (columns). */
    public BlockSizePolicy.Sizes blockSizes() {
        return blocks;
    }

    /** A's M/bs<sub>A</sub> blocks, concatenated, each row-major (a copy). */
    public float[] aBlocks() {
        return a.clone();
    }

    /** B's K/bs<sub>B</sub> blocks, concatenated, each row-major (a copy). */
    public float[] bBlocks() {
        return b.clone();
    }

    /** The 2:4 core, M x K row-major with zeros where pruned (a copy). */
    public float[] core() {
        return core.clone();
    }

    /** The core as an F32 matrix (the caller closes it), ready for {@code Sparse24.pack}. */
    public Matrix coreMatrix() {
        return Matrix.of(core, rows, cols, DType.F32);
    }

    /** The optimised loss (see {@link ArmorConfig#loss()}) at the start. */
    public double startLoss() {
        return startLoss;
    }

    /** The optimised loss at the end (the best state seen; never above {@link #startLoss()}). */
    public double finalLoss() {
        return finalLoss;
    }

    /** ‖(W − Ŵ) X‖² / ‖W X‖² of the float32 factors, when the statistics had the Gram matrix. */
    public OptionalDouble relativeLoss() {
        return relativeLoss;
    }

    /** The reference's (NoWag, diagonal) relative loss of the float32 factors. */
    public double diagonalLoss() {
        return diagonalLoss;
    }

    /** The optimised loss after each iteration run (its length is the number of iterations run). */
    public double[] history() {
        return history.clone();
    }

    public int iterations() {
        return history.length;
    }

    public double seconds() {
        return seconds;
    }

    /** Wall seconds spent in: gradients; the Adam step with the forward product; the discrete sweep with the loss. */
    public double[] phaseSeconds() {
        return phaseSeconds.clone();
    }

    public ArmorConfig config() {
        return config;
    }

    /** Wrapper multiply-adds per token as a fraction of the 2:4 core's. */
    public double wrapperOverhead() {
        return blocks.overhead(rows, cols);
    }

    /**
     * The packed layout: the wrappers as stored here (float32), the core packed to 2:4 with {@code coreType} values
     * (F32 keeps the factors exact; BF16/F16 round the core), and {@code biasOrNull}. The caller owns the result.
     */
    public ArmorLayout toLayout(DType coreType, float[] biasOrNull) {
        BlockDiagonal a = BlockDiagonal.of(rows, blocks.a(), this.a);
        BlockDiagonal b = null;
        Sparse24 core = null;
        try {
            b = BlockDiagonal.of(cols, blocks.b(), this.b);
            try (Matrix c = coreMatrix()) {
                core = Sparse24.pack(c, coreType);
            }
            return ArmorLayout.of(a, core, b, biasOrNull);
        } catch (RuntimeException e) {
            a.close();
            if (b != null) {
                b.close();
            }
            if (core != null) {
                core.close();
            }
            throw e;
        }
    }

    /** Ŵ = A · S · B as a dense F32 matrix (float64 products of the stored float32 factors). */
    public Matrix toDense() {
        return Matrix.of(toFloat(product(a, b, core, rows, cols, blocks, config.threads())), rows, cols, DType.F32);
    }

    /** A · S · B in float64 from float32 factors (A's and B's blocks concatenated, S dense m x k). */
    static double[] product(float[] a, float[] b, float[] core, int m, int k, BlockSizePolicy.Sizes blocks, int threads) {
        BlockOps ops = new BlockOps(LinAlg.kernels(), threads);
        double[] s = toDouble(core);
        double[] sb = new double[s.length];
        ops.right(s, m, k, toDouble(b), blocks.b(), false, sb);
        double[] out = new double[s.length];
        ops.left(toDouble(a), blocks.a(), false, sb, m, k, out);
        return out;
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Override
    public String toString() {
        return String.format("ArmorFactors[%dx%d, bs %d/%d (+%.0f%% MACs), loss %.5g -> %.5g in %d it%s]", rows, cols,
                blocks.a(), blocks.b(), 100 * wrapperOverhead(), startLoss, finalLoss, history.length,
                relativeLoss.isPresent() ? String.format(", relative %.5g", relativeLoss.getAsDouble()) : "");
    }
}
