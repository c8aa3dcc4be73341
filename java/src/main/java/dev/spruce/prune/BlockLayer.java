package dev.spruce.prune;

import dev.spruce.calib.LayerStats;
import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.linalg.Cholesky;
import dev.spruce.kernel.linalg.LinAlg;
import dev.spruce.kernel.linalg.LinAlgKernels;
import dev.spruce.kernel.linalg.NotPositiveDefiniteException;
import dev.spruce.tensor.Matrix;

import java.util.Arrays;

/**
 * One linear layer's block-pruning problem (LPViT blocks, post-training), everything in float64:
 * the block scores, the nested masks they give at any sparsity, the least-squares refit of the kept
 * blocks and the exact calibration loss of any mask, with or without refit. {@link BlockPruner} prunes
 * with it; the sparsity allocator evaluates many masks of one layer with it, paying for W·G once.
 *
 * <p><b>Score.</b> LPViT scores a block by the block mean of |W ⊙ ∇| with ∇ the calibration gradient of
 * the label-free output energy mean(f(x)²). Without a backward pass through the model, the layer-local
 * form of that energy is E(W) = ||W X||²/n = tr(W G W<sup>T</sup>)/n (G = X<sup>T</sup>X over n tokens), whose
 * gradient is ∇ = 2 W G / n: first-order Taylor saliency of the layer's own output energy. Masks are
 * nested in the sparsity because the scores are fixed: blocks are ranked once (ties: lower block index
 * kept) and sparsity p removes the {@link Pattern.Block#removedBlocks} lowest.
 *
 * <p><b>Refit.</b> For block row R (bh output rows) with kept columns C (the union of its kept blocks'
 * columns), Ŵ[R, C] = W[R, :] G[:, C] (G[C, C] + λI)<sup>-1</sup> and Ŵ[R, not C] = 0: each output row's
 * least-squares fit of W's outputs from the inputs it keeps (exact when λ = 0). λ = damp x mean(diag G)
 * with damp = {@value #DEFAULT_DAMP} by default: it keeps G[C, C] invertible when inputs are dead or
 * collinear and shrinks the refit slightly towards zero. W[R, :] G[:, C] is a slice of P = W G, which the
 * gradient needs anyway, so each block row costs one |C|<sup>3</sup>/3 Cholesky plus bh triangular solves.
 *
 * <p><b>Loss.</b> ||(W - Ŵ) X||² per block row without forming Ŵ G: with A = G[C, C] + λI, B = P[R, C] and
 * X = B A<sup>-1</sup>, the loss is tr(W_R G W_R<sup>T</sup>) - tr(B X<sup>T</sup>) - λ ||X||² (expand and use X A = B).
 * Without refit it is Σ<sub>r∈R</sub> w<sub>r,U</sub> G[U, U] w<sub>r,U</sub><sup>T</sup> over the removed columns U.
 */
public final class BlockLayer {
    /** Default relative damping of the refit: λ = 1e-2 x mean(diag G). */
    public static final double DEFAULT_DAMP = 1e-2;

    private final int m;
    private final int k;
    private final int bh;
    private final int bw;
    private final int blockRows;
    private final int blockCols;
    private final double[] w;
    private final double[] g;
    /** P = W G (m x k). */
    private final double[] p;
    private final double[] scores;
    /** Block indices, best first. */
    private final int[] order;
    private final double lambda;
    /** tr(W_R G W_R^T) per block row. */
    private final double[] rowEnergy;
    private final double energy;
    private final int threads;
    private final LinAlgKernels kern;

    BlockLayer(double[] w, int m, int k, double[] g, long tokens, int bh, int bw, double damp, int threads) {
        if (bh < 1 || bw < 1 || m % bh != 0 || k % bw != 0) {
            throw new IllegalArgumentException(bh + "x" + bw + " blocks do not tile a " + m + "x" + k + " weight");
        }
        if (!(damp >= 0 && damp < 1e3)) {
            throw new IllegalArgumentException("refit damping must be finite and >= 0, got " + damp);
        }
        if (tokens <= 0) {
            throw new IllegalArgumentException("the statistics saw no tokens");
        }
        this.m = m;
        this.k = k;
        this.bh = bh;
        this.bw = bw;
        this.blockRows = m / bh;
        this.blockCols = k / bw;
        this.w = w;
        this.g = g;
        this.threads = threads;
        this.kern = LinAlg.kernels();
        this.p = new double[m * k];
        LinAlg.gemm(kern, threads, m, k, k, 1.0, w, 0, k, g, 0, k, p, 0, k);
        double meanDiag = 0;
        for (int j = 0; j < k; j++) {
            meanDiag += g[j * k + j];
        }
        meanDiag /= k;
        this.lambda = damp * (meanDiag > 0 ? meanDiag : 1.0);
        this.scores = new double[blockRows * blockCols];
        double scale = 2.0 / tokens / (bh * bw); // ∇ = 2 P / n, then the block mean
        this.rowEnergy = new double[blockRows];
        double e = 0;
        for (int br = 0; br < blockRows; br++) {
            double re = 0;
            for (int r = br * bh; r < (br + 1) * bh; r++) {
                re += kern.dot(k, w, r * k, p, r * k);
                for (int j = 0; j < k; j++) {
                    scores[br * blockCols + j / bw] += Math.abs(w[r * k + j] * p[r * k + j]);
                }
            }
            rowEnergy[br] = re;
            e += re;
        }
        this.energy = e;
        for (int i = 0; i < scores.length; i++) {
            scores[i] *= scale;
        }
        Integer[] idx = new Integer[scores.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> {
            int c = Double.compare(scores[b], scores[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        this.order = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            order[i] = idx[i];
        }
    }

    /**
     * The problem of {@code weights} (M x K, any dtype, finite) with the full-Gram statistics of its input.
     *
     * @param damp relative refit damping (λ = damp x mean(diag G)); {@link #DEFAULT_DAMP} is the usual choice
     */
    public static BlockLayer of(Matrix weights, LayerStats stats, int blockHeight, int blockWidth, double damp, int threads) {
        if (weights == null || stats == null) {
            throw new IllegalArgumentException("block layer needs weights and statistics, got "
                    + (weights == null ? "null weights" : "null statistics"));
        }
        weights.requireOpen();
        int m = weights.rows();
        int k = weights.cols();
        new Pattern.Block(blockHeight, blockWidth, 0).checkShape(m, k);
        if (stats.k() != k) {
            throw new IllegalArgumentException("statistics of layer '" + stats.name() + "' have K=" + stats.k()
                    + " inputs but the weights have " + k + " columns");
        }
        if (!stats.hasGram()) {
            throw new IllegalArgumentException("block pruning needs the full Gram matrix but layer '" + stats.name()
                    + "' was collected with LayerStats.diagonalOnly");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        float[] f = weights.toFloatArray();
        double[] w = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            if (!Float.isFinite(f[i])) {
                throw new IllegalArgumentException("layer '" + stats.name() + "': weight at row " + i / k + ", column "
                        + i % k + " is " + f[i] + " (weights must be finite)");
            }
            w[i] = f[i];
        }
        return new BlockLayer(w, m, k, stats.gram(), stats.tokens(), blockHeight, blockWidth, damp, threads);
    }

    public int rows() {
        return m;
    }

    public int cols() {
        return k;
    }

    public int blockHeight() {
        return bh;
    }

    public int blockWidth() {
        return bw;
    }

    public int blockRows() {
        return blockRows;
    }

    public int blockCols() {
        return blockCols;
    }

    public int blocks() {
        return scores.length;
    }

    /** The refit damping λ in Gram units. */
    public double lambda() {
        return lambda;
    }

    /** ||W X||², the loss of removing every block. */
    public double energy() {
        return energy;
    }

    /** Block scores (blockRows x blockCols, row-major): block means of |W ⊙ 2WG/n|. A copy. */
    public double[] scores() {
        return scores.clone();
    }

    /** The block keep-mask (row-major, true = kept) at {@code sparsity}: the top blocks by score. Nested in the sparsity. */
    public boolean[] keep(double sparsity) {
        int removed = new Pattern.Block(bh, bw, sparsity).removedBlocks(scores.length);
        return keepTop(scores.length - removed);
    }

    /** The block keep-mask keeping the {@code kept} best blocks. */
    public boolean[] keepTop(int kept) {
        if (kept < 0 || kept > scores.length) {
            throw new IllegalArgumentException("cannot keep " + kept + " of " + scores.length + " blocks");
        }
        boolean[] keep = new boolean[scores.length];
        for (int i = 0; i < kept; i++) {
            keep[order[i]] = true;
        }
        return keep;
    }

    /** Exact ||(W - Ŵ) X||² of a block mask, Ŵ the refit (or the plain masked) weights. */
    public double loss(boolean[] keep, boolean refit) {
        checkKeep(keep);
        double[] perRow = new double[blockRows];
        Parallel.forRange(blockRows, Math.min(blockRows, threads * 4), 1, (from, to) -> {
            for (int br = from; br < to; br++) {
                perRow[br] = refit ? solveRow(br, keep, null) : maskedRowLoss(br, keep);
            }
        });
        double sum = 0;
        for (double v : perRow) { // in row order: independent of the thread count
            sum += v;
        }
        return Math.max(0.0, sum);
    }

    /** {@link #loss} divided by ||W X||² (0 = exact, 1 = as bad as removing the layer). */
    public double relativeLoss(boolean[] keep, boolean refit) {
        return energy > 0 ? loss(keep, refit) / energy : 0.0;
    }

    /** The pruned weights (m x k, row-major, float64): refit kept blocks, or W itself on them; zeros elsewhere. */
    public double[] pruned(boolean[] keep, boolean refit) {
        checkKeep(keep);
        double[] out = new double[m * k];
        Parallel.forRange(blockRows, Math.min(blockRows, threads * 4), 1, (from, to) -> {
            for (int br = from; br < to; br++) {
                if (refit) {
                    solveRow(br, keep, out);
                } else {
                    for (int r = br * bh; r < (br + 1) * bh; r++) {
                        for (int bc = 0; bc < blockCols; bc++) {
                            if (keep[br * blockCols + bc]) {
                                System.arraycopy(w, r * k + bc * bw, out, r * k + bc * bw, bw);
                            }
                        }
                    }
                }
            }
        });
        return out;
    }

    private void checkKeep(boolean[] keep) {
        if (keep == null || keep.length != scores.length) {
            throw new IllegalArgumentException("block mask must have " + blockRows + "x" + blockCols + " = " + scores.length
                    + " entries, got " + (keep == null ? "null" : keep.length));
        }
    }

    /** Kept column indices of block row br, increasing. */
    private int[] keptColumns(int br, boolean[] keep) {
        int n = 0;
        for (int bc = 0; bc < blockCols; bc++) {
            n += keep[br * blockCols + bc] ? bw : 0;
        }
        int[] cols = new int[n];
        for (int bc = 0, i = 0; bc < blockCols; bc++) {
            if (keep[br * blockCols + bc]) {
                for (int j = 0; j < bw; j++) {
                    cols[i++] = bc * bw + j;
                }
            }
        }
        return cols;
    }

    /** Σ over the rows r of block row br of d_r G[U, U] d_r^T, d_r = W[r, U], U the removed columns: one GEMM. */
    private double maskedRowLoss(int br, boolean[] keep) {
        int[] u = new int[k];
        int n = 0;
        for (int bc = 0; bc < blockCols; bc++) {
            if (!keep[br * blockCols + bc]) {
                for (int j = 0; j < bw; j++) {
                    u[n++] = bc * bw + j;
                }
            }
        }
        if (n == 0) {
            return 0;
        }
        double[] guu = new double[n * n];
        for (int i = 0; i < n; i++) {
            int gi = u[i] * k;
            for (int j = 0; j < n; j++) {
                guu[i * n + j] = g[gi + u[j]];
            }
        }
        double[] d = new double[bh * n];
        for (int r = 0; r < bh; r++) {
            int row = (br * bh + r) * k;
            for (int i = 0; i < n; i++) {
                d[r * n + i] = w[row + u[i]];
            }
        }
        double[] dg = new double[bh * n];
        kern.gemm(bh, n, n, 1.0, d, 0, n, guu, 0, n, dg, 0, n);
        return kern.dot(bh * n, d, 0, dg, 0);
    }

    /**
     * Refits block row br: returns its loss and, if {@code out} is not null, writes Ŵ[R, C] into it.
     * A = G[C, C] + λI is factored as L L<sup>T</sup>; each row b of B = P[R, C] gives x = b A<sup>-1</sup> by a
     * forward solve with L and a backward solve with L<sup>T</sup> (kept as its own row-major copy so both
     * solves read contiguous rows).
     */
    private double solveRow(int br, boolean[] keep, double[] out) {
        int[] cols = keptColumns(br, keep);
        int c = cols.length;
        if (c == 0) {
            return rowEnergy[br];
        }
        double[] a = new double[c * c];
        for (int i = 0; i < c; i++) {
            int gi = cols[i] * k;
            for (int j = 0; j <= i; j++) {
                a[i * c + j] = g[gi + cols[j]];
            }
            a[i * c + i] += lambda;
        }
        try {
            Cholesky.factorLower(a, c, kern, 1);
        } catch (NotPositiveDefiniteException e) {
            throw new IllegalArgumentException("refit of block row " + br + ": G[C, C] + λI is not positive definite"
                    + " (λ = " + lambda + "; raise the damping): " + e.getMessage(), e);
        }
        double[] lt = new double[c * c];
        for (int i = 0; i < c; i++) {
            for (int j = 0; j <= i; j++) {
                lt[j * c + i] = a[i * c + j];
            }
        }
        double[] b = new double[c];
        double[] z = new double[c];
        double[] x = new double[c];
        double explained = 0;
        double shrink = 0;
        for (int r = br * bh; r < (br + 1) * bh; r++) {
            for (int i = 0; i < c; i++) {
                b[i] = p[r * k + cols[i]];
            }
            for (int i = 0; i < c; i++) { // L z = b
                z[i] = (b[i] - kern.dot(i, a, i * c, z, 0)) / a[i * c + i];
            }
            for (int i = c - 1; i >= 0; i--) { // L^T x = z
                x[i] = (z[i] - kern.dot(c - i - 1, lt, i * c + i + 1, x, i + 1)) / lt[i * c + i];
            }
            explained += kern.dot(c, b, 0, x, 0);
            shrink += kern.dot(c, x, 0, x, 0);
            if (out != null) {
                for (int i = 0; i < c; i++) {
                    out[r * k + cols[i]] = x[i];
                }
            }
        }
        return rowEnergy[br] - explained - lambda * shrink;
    }
}
