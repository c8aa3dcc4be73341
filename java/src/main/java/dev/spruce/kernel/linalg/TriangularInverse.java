package dev.spruce.kernel.linalg;

import dev.spruce.kernel.Parallel;

/**
 * In-place inverse of a lower-triangular n x n row-major float64 matrix (non-zero diagonal,
 * zero strict upper triangle), blocked by rows so almost all of the n<sup>3</sup>/6 multiply-adds
 * run in the GEMM kernel.
 *
 * <p>With X = L<sup>-1</sup>, block row i satisfies X<sub>ij</sub> = -X<sub>ii</sub> &Sigma;<sub>j&le;p&lt;i</sub>
 * L<sub>ip</sub> X<sub>pj</sub> for j &lt; i. Going top-down, the rows above already hold X and row block
 * i still holds L, so R = L<sub>i,&lt;i</sub> X<sub>&lt;i,&lt;i</sub> is formed in a scratch buffer (one task per
 * column tile, each a single GEMM whose depth skips the zero upper part of X), then written back as
 * -X<sub>ii</sub> R.
 */
public final class TriangularInverse {
    public static final int BLOCK = 128;

    private TriangularInverse() {
    }

    public static void invertLower(double[] a, int n, LinAlgKernels kern, int threads) {
        if (a.length < (long) n * n) {
            throw new IllegalArgumentException("array of " + a.length + " doubles cannot hold " + n + "x" + n);
        }
        double[] xii = new double[BLOCK * BLOCK];
        for (int r0 = 0; r0 < n; r0 += BLOCK) {
            int rb = Math.min(BLOCK, n - r0);
            invertSmallLower(a, r0 * n + r0, n, rb, xii);
            if (r0 > 0) {
                double[] r = new double[rb * r0];
                int tiles = (r0 + BLOCK - 1) / BLOCK;
                final int row0 = r0;
                Parallel.forRange(tiles, tiles, 1, (from, to) -> {
                    for (int t = from; t < to; t++) {
                        int c0 = t * BLOCK;
                        int cb = Math.min(BLOCK, row0 - c0);
                        kern.gemm(rb, cb, row0 - c0, 1.0, a, row0 * n + c0, n, a, c0 * n + c0, n, r, c0, row0);
                    }
                });
                for (int i = 0; i < rb; i++) {
                    java.util.Arrays.fill(a, (r0 + i) * n, (r0 + i) * n + r0, 0.0);
                }
                LinAlg.gemm(kern, threads, rb, r0, rb, -1.0, xii, 0, rb, r, 0, r0, a, r0 * n, n);
            }
            for (int i = 0; i < rb; i++) {
                System.arraycopy(xii, i * rb, a, (r0 + i) * n + r0, rb);
            }
        }
    }

    /**
     * Inverts the kb x kb lower-triangular block at {@code off} (leading dimension ld) into {@code out}
     * (kb x kb, leading dimension kb, strict upper triangle zero). Row i of the inverse needs only rows
     * above it, so this is a forward substitution per row.
     */
    static void invertSmallLower(double[] a, int off, int ld, int kb, double[] out) {
        java.util.Arrays.fill(out, 0, kb * kb, 0.0);
        for (int i = 0; i < kb; i++) {
            double lii = a[off + i * ld + i];
            if (lii == 0.0 || !Double.isFinite(lii)) {
                throw new ArithmeticException("triangular matrix is singular: diagonal " + i + " is " + lii);
            }
            out[i * kb + i] = 1.0 / lii;
            for (int j = 0; j < i; j++) {
                double s = 0;
                for (int p = j; p < i; p++) {
                    s += a[off + i * ld + p] * out[p * kb + j];
                }
                out[i * kb + j] = -s / lii;
            }
        }
    }
}
