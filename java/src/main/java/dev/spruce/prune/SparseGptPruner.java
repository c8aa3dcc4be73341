package dev.spruce.prune;

import dev.spruce.calib.LayerStats;
import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.linalg.Cholesky;
import dev.spruce.kernel.linalg.LinAlg;
import dev.spruce.kernel.linalg.NotPositiveDefiniteException;
import dev.spruce.kernel.linalg.TriangularInverse;


/**
 * SparseGPT (Frantar and Alistarh, ICML 2023): optimal-brain-surgeon pruning column by column, each
 * pruned weight's error pushed onto the columns not yet processed through the inverse Hessian,
 * one Hessian shared by all rows. Everything runs in float64.
 *
 * <ol>
 *   <li>H = G (the Gram matrix; the reference's 2/n factor is dropped because damping is relative and
 *       the mask and updates are scale-free). Dead inputs (G_jj = 0) get H_jj = 1 and W[:, j] = 0.</li>
 *   <li>Damping: H += percdamp * mean(diag H) * I (default 0.01); if the Cholesky still fails, the
 *       damping is added again, up to {@value #MAX_DAMPING_RETRIES} times, as the ARMOR fork does
 *       (with percdamp 0 the retries add the default 0.01 * mean(diag H) each).</li>
 *   <li>U = the upper Cholesky factor of H<sup>-1</sup> (H<sup>-1</sup> = U<sup>T</sup>U). Computed without
 *       forming H<sup>-1</sup>: with J the index reversal, factor J H J = L L<sup>T</sup>, then U = J L<sup>-1</sup> J
 *       (since H<sup>-1</sup> = J L<sup>-T</sup> L<sup>-1</sup> J = (J L<sup>-1</sup> J)<sup>T</sup>(J L<sup>-1</sup> J) and J L<sup>-1</sup> J is
 *       upper triangular with a positive diagonal, it is the unique factor). One Cholesky and one
 *       triangular inverse instead of the reference's Cholesky, inverse and second Cholesky; J X J of
 *       a row-major n x n array is simply the array reversed.</li>
 *   <li>Columns in blocks of {@code blockSize} (default 128). Inside a block, row by row (rows are
 *       independent given the mask, so they run in parallel and each row's block slice stays in L1):
 *       at column i the weight is kept or pruned; a pruned one gives err = w / U_ii and
 *       W[r, i+1 .. block end] -= err * U[i, i+1 .. block end].</li>
 *   <li>After the block, the lazy update W[:, block end ..] -= Err * U[block, block end ..], one GEMM.</li>
 * </ol>
 *
 * <p><b>Masks.</b> N:M: at the first column of each group the saliency w<sup>2</sup> / U_jj<sup>2</sup> of the
 * group's M columns is computed from the <i>already updated</i> weights and the N largest are kept.
 * Unstructured: at the start of each block the saliencies of the whole M x blockSize slab are ranked and
 * exactly floor(sparsity * slab size) lowest are pruned (the reference prunes every entry &lt;= the
 * threshold, a few more on ties). Ties: the lower index is kept (see {@link MaskSelector}).
 */
public final class SparseGptPruner extends AbstractPruner {
    public static final double DEFAULT_PERCDAMP = 0.01;
    public static final int DEFAULT_BLOCK = 128;
    static final int MAX_DAMPING_RETRIES = 10;
    /** Rows per parallel task inside a block. */
    private static final int ROW_GRAIN = 16;

    private final double percdamp;
    private final int blockSize;

    public SparseGptPruner() {
        this(DEFAULT_PERCDAMP, DEFAULT_BLOCK, defaultThreads());
    }

    public SparseGptPruner(double percdamp, int blockSize, int threads) {
        super(threads);
        if (!(percdamp >= 0 && percdamp < 1e3)) {
            throw new IllegalArgumentException("percdamp must be finite and >= 0, got " + percdamp);
        }
        if (blockSize < 1) {
            throw new IllegalArgumentException("block size must be >= 1, got " + blockSize);
        }
        this.percdamp = percdamp;
        this.blockSize = blockSize;
    }

    @Override
    public String name() {
        return "sparsegpt";
    }

    @Override
    public Needs needs() {
        return Needs.GRAM;
    }

    @Override
    void pruneInPlace(double[] w, int m, int k, LayerStats stats, Pattern pattern, boolean[] keep,
                      PhaseTimer timer) {
        if (pattern instanceof Pattern.Block b) {
            throw new IllegalArgumentException("sparsegpt prunes column by column and cannot select " + b
                    + "; use BlockPruner for block sparsity");
        }
        if (pattern instanceof Pattern.NM nm && blockSize % nm.m() != 0) {
            throw new IllegalArgumentException("sparsegpt: block size " + blockSize + " must be a multiple of the "
                    + nm + " group size " + nm.m());
        }
        timer.start();
        double[] u = new double[k * k];
        boolean[] dead = new boolean[k];
        for (int j = 0; j < k; j++) {
            dead[j] = stats.gram(j, j) == 0.0;
            if (dead[j]) {
                for (int r = 0; r < m; r++) {
                    w[r * k + j] = 0.0;
                }
            }
        }
        timer.stop("hessian");
        factorInverse(u, k, stats, dead, timer);
        timer.start();
        sweep(w, m, k, u, pattern, keep);
        timer.stop("prune loop");
    }

    /** Fills u with the upper Cholesky factor of the damped Hessian's inverse, retrying with more damping. */
    private void factorInverse(double[] u, int k, LayerStats stats, boolean[] dead, PhaseTimer timer) {
        double meanDiag = 0;
        for (int j = 0; j < k; j++) {
            meanDiag += dead[j] ? 1.0 : stats.gram(j, j);
        }
        meanDiag /= k;
        double damp = percdamp * meanDiag;
        // Each retry adds one more step; with percdamp 0 (no damping asked for) the step is the default.
        double step = (percdamp > 0 ? percdamp : DEFAULT_PERCDAMP) * meanDiag;
        for (int attempt = 1; ; attempt++) {
            timer.start();
            stats.copyGramInto(u);
            for (int j = 0; j < k; j++) {
                if (dead[j]) {
                    u[j * k + j] = 1.0;
                }
                u[j * k + j] += damp + step * (attempt - 1);
            }
            reverse(u, k * k);
            try {
                Cholesky.factorLower(u, k, kern, threads);
                timer.stop("cholesky");
                break;
            } catch (NotPositiveDefiniteException e) {
                timer.stop("cholesky");
                if (attempt > MAX_DAMPING_RETRIES) {
                    throw new IllegalArgumentException("sparsegpt: the Hessian of layer '" + stats.name()
                            + "' stays indefinite after " + attempt + "x damping (" + e.getMessage() + ")", e);
                }
            }
        }
        timer.start();
        TriangularInverse.invertLower(u, k, kern, threads);
        reverse(u, k * k);
        timer.stop("inverse");
    }

    private static void reverse(double[] a, int n) {
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            double t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private void sweep(double[] w, int m, int k, double[] u, Pattern pattern, boolean[] keep) {
        int bs = blockSize;
        double[] err = new double[m * Math.min(bs, k)];
        for (int b0 = 0; b0 < k; b0 += bs) {
            int b1 = Math.min(k, b0 + bs);
            int bw = b1 - b0;
            java.util.Arrays.fill(err, 0.0);
            if (pattern instanceof Pattern.Unstructured un) {
                selectSlab(w, m, k, u, b0, b1, un.sparsity(), keep);
            }
            final int fb0 = b0;
            Parallel.forRange(m, threads, ROW_GRAIN, (from, to) -> {
                double[] sal = new double[Pattern.NM.MAX_M];
                for (int r = from; r < to; r++) {
                    sweepRow(w, r, k, u, fb0, b1, pattern, keep, err, bw, sal);
                }
            });
            if (b1 < k) {
                LinAlg.gemm(kern, threads, m, k - b1, bw, -1.0, err, 0, bw, u, b0 * k + b1, k, w, b1, k);
            }
        }
    }

    /** Unstructured: ranks the saliencies w^2 / U_jj^2 of the slab W[:, b0..b1) and marks keep[] for it. */
    private static void selectSlab(double[] w, int m, int k, double[] u, int b0, int b1, double sparsity, boolean[] keep) {
        int bw = b1 - b0;
        double[] sal = new double[m * bw];
        for (int r = 0; r < m; r++) {
            for (int j = b0; j < b1; j++) {
                double d = u[j * k + j];
                double v = w[r * k + j];
                sal[r * bw + j - b0] = v * v / (d * d);
            }
        }
        boolean[] slabKeep = new boolean[sal.length];
        MaskSelector.pruneLowest(sal, 0, sal.length, (long) Math.floor(sparsity * sal.length), slabKeep);
        for (int r = 0; r < m; r++) {
            System.arraycopy(slabKeep, r * bw, keep, r * k + b0, bw);
        }
    }

    /** OBS sweep of one row across the block [b0, b1): mask (N:M), error, in-block update. */
    private void sweepRow(double[] w, int r, int k, double[] u, int b0, int b1, Pattern pattern, boolean[] keep,
                          double[] err, int bw, double[] sal) {
        int row = r * k;
        for (int col = b0; col < b1; col++) {
            if (pattern instanceof Pattern.NM nm && (col - b0) % nm.m() == 0) {
                for (int j = 0; j < nm.m(); j++) {
                    double d = u[(col + j) * k + col + j];
                    double v = w[row + col + j];
                    sal[j] = v * v / (d * d);
                }
                long bits = MaskSelector.selectGroup(sal, 0, nm.n(), nm.m());
                for (int j = 0; j < nm.m(); j++) {
                    keep[row + col + j] = (bits >>> j & 1L) != 0;
                }
            }
            if (keep[row + col]) {
                continue; // err = 0: nothing to propagate
            }
            double e = w[row + col] / u[col * k + col];
            w[row + col] = 0.0;
            err[r * bw + col - b0] = e;
            int rest = b1 - col - 1;
            if (rest > 0 && e != 0.0) {
                kern.axpy(rest, -e, u, col * k + col + 1, w, row + col + 1);
            }
        }
    }
}
