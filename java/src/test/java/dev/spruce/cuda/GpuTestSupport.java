package dev.spruce.cuda;

import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Shared helpers of the GPU tests: skip with the reason when there is no CUDA, random data, error norms. */
public final class GpuTestSupport {
    private GpuTestSupport() {
    }

    /** Skips the calling test (JUnit assumption) with {@link Cuda#unavailableReason()}. */
    public static void assumeCuda() {
        assumeTrue(Cuda.available(), () -> "CUDA unavailable: " + Cuda.unavailableReason());
    }

    public static Matrix random(int rows, int cols, DType dtype, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return Matrix.of(a, rows, cols, dtype);
    }

    /** Y = X W^T in float64 from the matrices' stored (already rounded) values. */
    public static double[] reference(Matrix w, Matrix x) {
        int m = w.rows(), k = w.cols(), n = x.rows();
        float[] wf = w.toFloatArray();
        float[] xf = x.toFloatArray();
        double[] y = new double[n * m];
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < m; o++) {
                double s = 0;
                for (int i = 0; i < k; i++) {
                    s += (double) wf[o * k + i] * xf[t * k + i];
                }
                y[t * m + o] = s;
            }
        }
        return y;
    }

    /** ||got - ref|| / ||ref|| (infinity when any element of got is NaN or infinite). */
    public static double relErr(float[] got, double[] ref) {
        if (got.length != ref.length) {
            throw new AssertionError("length " + got.length + " != " + ref.length);
        }
        double num = 0, den = 0;
        for (int i = 0; i < got.length; i++) {
            if (!Float.isFinite(got[i])) {
                return Double.POSITIVE_INFINITY;
            }
            double d = got[i] - ref[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }
}
