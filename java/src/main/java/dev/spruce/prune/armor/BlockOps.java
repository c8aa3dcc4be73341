package dev.spruce.prune.armor;

import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.linalg.LinAlgKernels;

import java.util.Arrays;

/**
 * Float64 products with block-diagonal matrices, the bulk of ARMOR's work. A block-diagonal n x n matrix is
 * stored as its n/bs dense bs x bs blocks, concatenated, each row-major. Every product is a sequence of
 * small GEMMs on windows of the row-major operands, run by the float64 {@link LinAlgKernels} on the project
 * pool, so the Vector kernels do the arithmetic without this package touching the Vector API.
 */
final class BlockOps {
    /** Columns per task in the left products: long enough for the kernel, short enough to balance 2+ cores. */
    private static final int COL_CHUNK = 512;

    private final LinAlgKernels kern;
    private final int threads;

    BlockOps(LinAlgKernels kern, int threads) {
        this.kern = kern;
        this.threads = threads;
    }

    LinAlgKernels kernels() {
        return kern;
    }

    int threads() {
        return threads;
    }

    /** out (m x k) = x (m x k) · blockdiag(blocks, bs); with {@code transposed}, each block is used transposed. */
    void right(double[] x, int m, int k, double[] blocks, int bs, boolean transposed, double[] out) {
        double[] b = transposed ? transposeBlocks(blocks, k / bs, bs) : blocks;
        int grain = Math.max(8, m / Math.max(1, threads * 4) / 8 * 8);
        Parallel.forRange(m, threads, grain, (r0, r1) -> {
            Arrays.fill(out, r0 * k, r1 * k, 0.0);
            for (int kb = 0; kb < k / bs; kb++) {
                kern.gemm(r1 - r0, bs, bs, 1.0, x, r0 * k + kb * bs, k, b, kb * bs * bs, bs, out, r0 * k + kb * bs, k);
            }
        });
    }

    /** out (m x k) = blockdiag(blocks, bs) · x (m x k); with {@code transposed}, each block is used transposed. */
    void left(double[] blocks, int bs, boolean transposed, double[] x, int m, int k, double[] out) {
        double[] a = transposed ? transposeBlocks(blocks, m / bs, bs) : blocks;
        int nb = m / bs;
        int cc = (k + COL_CHUNK - 1) / COL_CHUNK;
        Parallel.forRange(nb * cc, threads, 1, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int jb = t / cc;
                int c0 = (t % cc) * COL_CHUNK;
                int cols = Math.min(COL_CHUNK, k - c0);
                for (int r = 0; r < bs; r++) {
                    Arrays.fill(out, (jb * bs + r) * k + c0, (jb * bs + r) * k + c0 + cols, 0.0);
                }
                kern.gemm(bs, cols, bs, 1.0, a, jb * bs * bs, bs, x, jb * bs * k + c0, k, out, jb * bs * k + c0, k);
            }
        });
    }

    /**
     * The gradient of the row wrapper: for every block j, g_j = e[R_j, :] · p[R_j, :]<sup>T</sup> (bs x bs), with
     * {@code pT} the k x m transpose of p.
     */
    void rowGradient(double[] e, double[] pT, int m, int k, int bs, double[] g) {
        int nb = m / bs;
        Parallel.forRange(nb, threads, 1, (j0, j1) -> {
            for (int j = j0; j < j1; j++) {
                Arrays.fill(g, j * bs * bs, (j + 1) * bs * bs, 0.0);
                kern.gemm(bs, bs, k, 1.0, e, j * bs * k, k, pT, j * bs, m, g, j * bs * bs, bs);
            }
        });
    }

    /**
     * The gradient of the column wrapper: for every block k, g_k = q[:, C_k]<sup>T</sup> · e[:, C_k] (bs x bs), with
     * {@code qT} the k x m transpose of q.
     */
    void columnGradient(double[] qT, double[] e, int m, int k, int bs, double[] g) {
        int nb = k / bs;
        Parallel.forRange(nb, threads, 1, (k0, k1) -> {
            for (int kb = k0; kb < k1; kb++) {
                Arrays.fill(g, kb * bs * bs, (kb + 1) * bs * bs, 0.0);
                kern.gemm(bs, bs, m, 1.0, qT, kb * bs * m, m, e, kb * bs, k, g, kb * bs * bs, bs);
            }
        });
    }

    /** out (k x m) = x (m x k) transposed, in cache-sized tiles. */
    void transpose(double[] x, int m, int k, double[] out) {
        final int t = 32;
        int rowTiles = (m + t - 1) / t;
        Parallel.forRange(rowTiles, threads, 1, (a, b) -> {
            for (int rt = a; rt < b; rt++) {
                int r0 = rt * t;
                int r1 = Math.min(m, r0 + t);
                for (int c0 = 0; c0 < k; c0 += t) {
                    int c1 = Math.min(k, c0 + t);
                    for (int r = r0; r < r1; r++) {
                        for (int c = c0; c < c1; c++) {
                            out[c * m + r] = x[r * k + c];
                        }
                    }
                }
            }
        });
    }

    static double[] transposeBlocks(double[] blocks, int n, int bs) {
        double[] t = new double[blocks.length];
        for (int b = 0; b < n; b++) {
            int o = b * bs * bs;
            for (int r = 0; r < bs; r++) {
                for (int c = 0; c < bs; c++) {
                    t[o + c * bs + r] = blocks[o + r * bs + c];
                }
            }
        }
        return t;
    }

    static double[] identityBlocks(int n, int bs) {
        double[] id = new double[n / bs * bs * bs];
        for (int b = 0; b < n / bs; b++) {
            for (int r = 0; r < bs; r++) {
                id[b * bs * bs + r * bs + r] = 1.0;
            }
        }
        return id;
    }
}
