package dev.spruce.kernel.cuda.bench;

import dev.spruce.tensor.Matrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Checks a GPU output against the CPU float64 reference without paying a full CPU GEMM at LLaMA sizes:
 * every output element is checked for NaN (outputs are poisoned first), and the values of a sample of
 * tokens (first, last, a few random) times rows (all of them up to 2048, else 1024 random plus first and
 * last) are compared with Y = X W<sup>T</sup> computed in float64 from the exact operands on the host.
 */
public final class SampledReference {
    private SampledReference() {
    }

    /** Relative L2 error of {@code y} (n x m, F32) against float64 X W^T over the sample; infinity on NaN. */
    public static double relativeError(Matrix w, Matrix x, Matrix y) {
        int m = w.rows(), k = w.cols(), n = x.rows();
        if (x.cols() != k || y.rows() != n || y.cols() != m) {
            throw new IllegalArgumentException("shapes do not match: W " + w.shapeString() + ", X " + x.shapeString()
                    + ", Y " + y.shapeString());
        }
        MemorySegment ys = y.segment();
        for (long i = 0, total = (long) n * m; i < total; i++) {
            if (!Float.isFinite(ys.getAtIndex(ValueLayout.JAVA_FLOAT, i))) {
                return Double.POSITIVE_INFINITY;
            }
        }
        SplittableRandom rnd = new SplittableRandom(n * 31L + m);
        int[] tokens = sample(n, 6, rnd);
        int[] rows = m <= 2048 ? all(m) : sample(m, 1026, rnd);
        float[][] wRows = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            wRows[i] = w.row(rows[i]);
        }
        double num = 0, den = 0;
        for (int t : tokens) {
            float[] xr = x.row(t);
            for (int i = 0; i < rows.length; i++) {
                float[] wr = wRows[i];
                double s = 0;
                for (int j = 0; j < k; j++) {
                    s += (double) wr[j] * xr[j];
                }
                double d = y.get(t, rows[i]) - s;
                num += d * d;
                den += s * s;
            }
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }

    private static int[] all(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    /** first, last, and up to count-2 random distinct-ish indices below n. */
    private static int[] sample(int n, int count, SplittableRandom rnd) {
        if (n <= count) {
            return all(n);
        }
        int[] a = new int[count];
        a[0] = 0;
        a[1] = n - 1;
        for (int i = 2; i < count; i++) {
            a[i] = rnd.nextInt(n);
        }
        return a;
    }
}
