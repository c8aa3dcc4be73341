package dev.spruce.prune;

import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.linalg.LinAlgKernels;

/**
 * The layer-wise reconstruction error that post-training pruning minimises:
 * ||(W - Ŵ) X||<sup>2</sup> = tr(D G D<sup>T</sup>) with D = W - Ŵ and G = X<sup>T</sup>X, summed over the
 * calibration tokens. Computed exactly in float64 from the Gram matrix, no activations needed.
 *
 * <p>tr(D G D<sup>T</sup>) = Σ<sub>ij</sub> G<sub>ij</sub> (D<sup>T</sup>D)<sub>ij</sub>, and both factors are
 * symmetric, so only the upper triangle of D<sup>T</sup>D is formed: one GEMM per {@value #TILE}-row tile
 * (depth M, columns from the tile's diagonal to K), each tile immediately dotted with the same part
 * of G and dropped. That is M K<sup>2</sup>/2 multiply-adds and a few MB of scratch per task, half the
 * work of forming D G.
 */
public final class ProxyLoss {
    /** Rows of D<sup>T</sup>D per task; each task re-reads D, so larger tiles mean less memory traffic. */
    static final int TILE = 128;

    private ProxyLoss() {
    }

    /** Sum over rows r of a_r G a_r<sup>T</sup> for a (m x k, row-major) and symmetric g (k x k, full). */
    public static double quadratic(double[] a, int m, int k, double[] g, LinAlgKernels kern, int threads) {
        int tiles = (k + TILE - 1) / TILE;
        double[] partial = new double[tiles];
        // Early tiles have the most columns: many small tasks keep the cores evenly loaded.
        Parallel.forRange(tiles, Math.min(tiles, Math.max(1, threads) * 4), 1, (from, to) -> {
            double[] p = new double[TILE * m];
            double[] c = new double[TILE * k];
            for (int t = from; t < to; t++) {
                int i0 = t * TILE;
                int rows = Math.min(TILE, k - i0);
                int cols = k - i0;
                for (int r = 0; r < m; r++) { // p = a[:, i0 .. i0+rows) transposed: rows x m
                    for (int i = 0; i < rows; i++) {
                        p[i * m + r] = a[r * k + i0 + i];
                    }
                }
                java.util.Arrays.fill(c, 0, rows * cols, 0.0);
                kern.gemm(rows, cols, m, 1.0, p, 0, m, a, i0, k, c, 0, cols);
                double sum = 0;
                for (int i = 0; i < rows; i++) {
                    int gi = (i0 + i) * k + i0;
                    // diagonal once, strictly upper twice (it stands for the lower half too)
                    sum += c[i * cols + i] * g[gi + i];
                    sum += 2.0 * kern.dot(cols - i - 1, c, i * cols + i + 1, g, gi + i + 1);
                }
                partial[t] = sum;
            }
        });
        double sum = 0; // in tile order, so the result does not depend on the thread count
        for (double v : partial) {
            sum += v;
        }
        return sum;
    }

    /** tr(a G a<sup>T</sup>) and, if b is not null, tr(b G b<sup>T</sup>). */
    public static double[] quadratics(double[] a, double[] b, int m, int k, double[] g, LinAlgKernels kern, int threads) {
        return b == null ? new double[]{quadratic(a, m, k, g, kern, threads)}
                : new double[]{quadratic(a, m, k, g, kern, threads), quadratic(b, m, k, g, kern, threads)};
    }

    /** Sum over (r, j) of h_j d_rj<sup>2</sup>: the loss if G were diagonal (the Wanda / NoWag view). */
    public static double diagonal(double[] d, int m, int k, double[] h) {
        double sum = 0;
        for (int r = 0; r < m; r++) {
            double row = 0;
            for (int j = 0; j < k; j++) {
                double v = d[r * k + j];
                row += h[j] * v * v;
            }
            sum += row;
        }
        return sum;
    }
}
