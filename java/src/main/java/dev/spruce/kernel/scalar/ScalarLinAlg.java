package dev.spruce.kernel.scalar;

import dev.spruce.kernel.linalg.LinAlgKernels;

/**
 * Plain-Java float64 kernels: the reference the Vector API kernels are tested against, and the
 * fallback where jdk.incubator.vector is absent. The GEMM walks i-p-j so the innermost loop is an
 * axpy over a contiguous row, which C2 auto-vectorizes.
 */
public final class ScalarLinAlg implements LinAlgKernels {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public String toString() {
        return "scalar float64 kernels";
    }

    @Override
    public void gemm(int m, int n, int k, double alpha,
                     double[] a, int aOff, int lda,
                     double[] b, int bOff, int ldb,
                     double[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            int ai = aOff + i * lda;
            for (int p = 0; p < k; p++) {
                double s = alpha * a[ai + p];
                if (s == 0.0) {
                    continue;
                }
                int bp = bOff + p * ldb;
                for (int j = 0; j < n; j++) {
                    c[ci + j] += s * b[bp + j];
                }
            }
        }
    }

    @Override
    public void axpy(int n, double alpha, double[] x, int xOff, double[] y, int yOff) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    public double dot(int n, double[] x, int xOff, double[] y, int yOff) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += x[xOff + i] * y[yOff + i];
        }
        return s;
    }
}
