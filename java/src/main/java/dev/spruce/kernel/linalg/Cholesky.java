package dev.spruce.kernel.linalg;

import dev.spruce.kernel.Parallel;

/**
 * Blocked right-looking Cholesky factorization A = L L<sup>T</sup> of a symmetric positive definite
 * n x n row-major float64 matrix, in place.
 *
 * <p>Per block column of width {@link #BLOCK}: the diagonal block is factored with dot products,
 * the panel below it is solved by multiplying with the explicit inverse of that small factor (a GEMM
 * instead of a row-by-row triangular solve; the diagonal block's condition is bounded by the whole
 * matrix's, and in float64 this loses nothing measurable for damped Hessians), and the trailing
 * matrix gets the symmetric rank-{@code BLOCK} update, lower tiles only, split into one task per
 * tile row so the triangular shape does not starve a core. Only the lower triangle of the input is
 * read; on return the strict upper triangle is zero.
 */
public final class Cholesky {
    /** Block width: the rank of each trailing update; 128 keeps the panel tiles inside L2. */
    public static final int BLOCK = 128;
    /** Rows per trailing-update task. */
    private static final int TILE = 64;

    private Cholesky() {
    }

    /**
     * Overwrites the lower triangle of {@code a} (n x n, row-major) with L and zeroes the strict upper
     * triangle.
     *
     * @throws NotPositiveDefiniteException at the first pivot that is not positive and finite; the
     *         array is then partly overwritten and must be rebuilt before a retry
     */
    public static void factorLower(double[] a, int n, LinAlgKernels kern, int threads) {
        if (a.length < (long) n * n) {
            throw new IllegalArgumentException("array of " + a.length + " doubles cannot hold " + n + "x" + n);
        }
        double[] inv = new double[BLOCK * BLOCK];
        double[] invT = new double[BLOCK * BLOCK];
        for (int k0 = 0; k0 < n; k0 += BLOCK) {
            int kb = Math.min(BLOCK, n - k0);
            factorDiagonalBlock(a, n, k0, kb, kern);
            int m = n - k0 - kb;
            if (m == 0) {
                break;
            }
            int r0 = k0 + kb; // first row of the trailing matrix
            // Panel: L21 = A21 * L11^-T, computed from a copy of A21 because the GEMM accumulates into C.
            TriangularInverse.invertSmallLower(a, k0 * n + k0, n, kb, inv);
            for (int i = 0; i < kb; i++) {
                for (int j = 0; j < kb; j++) {
                    invT[i * kb + j] = inv[j * kb + i];
                }
            }
            double[] a21 = new double[m * kb];
            for (int i = 0; i < m; i++) {
                int row = (r0 + i) * n + k0;
                System.arraycopy(a, row, a21, i * kb, kb);
                java.util.Arrays.fill(a, row, row + kb, 0.0);
            }
            LinAlg.gemm(kern, threads, m, kb, kb, 1.0, a21, 0, kb, invT, 0, kb, a, r0 * n + k0, n);
            // Trailing update A22 -= L21 L21^T on the lower staircase of TILE-row blocks.
            double[] l21 = a21; // reuse: L21 copied out for the GEMM's A operand
            double[] l21T = new double[kb * m];
            for (int i = 0; i < m; i++) {
                int row = (r0 + i) * n + k0;
                System.arraycopy(a, row, l21, i * kb, kb);
                for (int p = 0; p < kb; p++) {
                    l21T[p * m + i] = a[row + p];
                }
            }
            int tiles = (m + TILE - 1) / TILE;
            Parallel.forRange(tiles, Math.min(tiles, Math.max(1, threads) * 8), 1, (from, to) -> {
                for (int t = from; t < to; t++) {
                    int i0 = t * TILE;
                    int rows = Math.min(TILE, m - i0);
                    int cols = i0 + rows;
                    kern.gemm(rows, cols, kb, -1.0, l21, i0 * kb, kb, l21T, 0, m, a, (r0 + i0) * n + r0, n);
                }
            });
        }
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(a, i * n + i + 1, (i + 1) * n, 0.0);
        }
    }

    /** Unblocked Cholesky of the kb x kb block at (k0, k0), which already holds its trailing updates. */
    private static void factorDiagonalBlock(double[] a, int n, int k0, int kb, LinAlgKernels kern) {
        for (int j = 0; j < kb; j++) {
            int rj = (k0 + j) * n + k0;
            double d = a[rj + j] - kern.dot(j, a, rj, a, rj);
            if (!(d > 0) || Double.isInfinite(d)) {
                throw new NotPositiveDefiniteException(k0 + j, d);
            }
            double ljj = Math.sqrt(d);
            a[rj + j] = ljj;
            for (int i = j + 1; i < kb; i++) {
                int ri = (k0 + i) * n + k0;
                a[ri + j] = (a[ri + j] - kern.dot(j, a, ri, a, rj)) / ljj;
            }
        }
    }
}
