package dev.spruce.prune;

import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.linalg.LinAlgKernels;

/**
 * The layer-wise reconstruction error that post-training pruning minimises:
 * ||(W - Ŵ) X||<sup>2</sup> = tr(D G D<sup>T</sup>) with D = W - Ŵ and G = X<sup>T</sup>X, summed over the
 * calibration tokens. Computed exactly in float64 from the Gram matrix (no activations needed):
 * rows of D go through the GEMM kernel in chunks of {@value #ROWS}, each chunk's D G dotted with
 * itself. It costs M K<sup>2</sup> multiply-adds, as much as the layer's forward pass over K tokens.
 */
public final class ProxyLoss {
    /** Rows of each operand per task: the packed G block is reused by 2 x ROWS rows before it is repacked. */
    static final int ROWS = 128;

    private ProxyLoss() {
    }

    /** Sum over rows r of a_r G a_r<sup>T</sup> for a (m x k, row-major) and symmetric g (k x k). */
    public static double quadratic(double[] a, int m, int k, double[] g, LinAlgKernels kern, int threads) {
        return quadratics(a, null, m, k, g, kern, threads)[0];
    }

    /**
     * Both tr(a G a<sup>T</sup>) and tr(b G b<sup>T</sup>) (b may be null) in one pass over G: each task stacks
     * ROWS rows of a and of b into one GEMM operand, so streaming G from memory, the cost that
     * dominates for K in the thousands, is paid once for both.
     */
    public static double[] quadratics(double[] a, double[] b, int m, int k, double[] g, LinAlgKernels kern, int threads) {
        int chunks = (m + ROWS - 1) / ROWS;
        int ops = b == null ? 1 : 2;
        double[] partial = new double[chunks * ops];
        Parallel.forRange(chunks, Math.max(1, threads), 1, (from, to) -> {
            double[] stack = new double[ops * ROWS * k];
            double[] t = new double[ops * ROWS * k];
            for (int c = from; c < to; c++) {
                int r0 = c * ROWS;
                int rows = Math.min(ROWS, m - r0);
                System.arraycopy(a, r0 * k, stack, 0, rows * k);
                if (b != null) {
                    System.arraycopy(b, r0 * k, stack, rows * k, rows * k);
                }
                java.util.Arrays.fill(t, 0, ops * rows * k, 0.0);
                kern.gemm(ops * rows, k, k, 1.0, stack, 0, k, g, 0, k, t, 0, k);
                for (int o = 0; o < ops; o++) {
                    partial[c * ops + o] = kern.dot(rows * k, stack, o * rows * k, t, o * rows * k);
                }
            }
        });
        double[] sums = new double[ops]; // in chunk order, so the result does not depend on the thread count
        for (int c = 0; c < chunks; c++) {
            for (int o = 0; o < ops; o++) {
                sums[o] += partial[c * ops + o];
            }
        }
        return sums;
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
