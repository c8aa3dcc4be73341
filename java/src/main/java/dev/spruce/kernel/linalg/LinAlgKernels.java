package dev.spruce.kernel.linalg;

/**
 * Single-threaded float64 dense kernels that calibration and pruning spend their time in
 * (Gram accumulation, Cholesky, triangular inverse, SparseGPT's lazy block update).
 *
 * <p>All matrices are row-major {@code double[]} windows given by an offset and a leading dimension
 * (the distance between the starts of consecutive rows), so callers can work on sub-blocks in place.
 * Implementations: {@code dev.spruce.kernel.scalar.ScalarLinAlg} (plain loops, always present) and
 * {@code dev.spruce.kernel.vector.VectorLinAlg} (jdk.incubator.vector, loaded by name through
 * {@link LinAlg}). Threading is the caller's job (see {@link LinAlg#gemm}), so one implementation
 * serves every block size without owning a pool.
 */
public interface LinAlgKernels {

    /** Short name: "scalar" or "vector". */
    String name();

    /**
     * C[m x n] += alpha * A[m x k] * B[k x n]. The three windows must not overlap C's window with A's
     * or B's. No argument is checked beyond what array bounds enforce: callers are internal and
     * check shapes once, at their own entry points.
     */
    void gemm(int m, int n, int k, double alpha,
              double[] a, int aOff, int lda,
              double[] b, int bOff, int ldb,
              double[] c, int cOff, int ldc);

    /** y[yOff .. yOff+n) += alpha * x[xOff .. xOff+n). */
    void axpy(int n, double alpha, double[] x, int xOff, double[] y, int yOff);

    /** Sum over i < n of x[xOff+i] * y[yOff+i]. */
    double dot(int n, double[] x, int xOff, double[] y, int yOff);
}
