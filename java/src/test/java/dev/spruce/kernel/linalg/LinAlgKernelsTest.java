package dev.spruce.kernel.linalg;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every float64 kernel implementation against a naive triple loop, on odd and blocked sizes. */
class LinAlgKernelsTest {

    static List<LinAlgKernels> implementations() {
        List<LinAlgKernels> list = new ArrayList<>();
        list.add(LinAlg.scalar());
        LinAlg.vector().ifPresent(list::add);
        return list;
    }

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] sizes = {{1, 1, 1}, {3, 5, 7}, {4, 24, 8}, {9, 50, 130}, {33, 300, 129}, {260, 520, 17}, {5, 1030, 260}};
        for (LinAlgKernels k : implementations()) {
            for (int[] s : sizes) {
                out.add(Arguments.of(k, s[0], s[1], s[2]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("shapes")
    void gemmMatchesNaiveOnWindows(LinAlgKernels kern, int m, int n, int k) {
        Random rnd = new Random(m * 31L + n * 7L + k);
        int lda = k + 3, ldb = n + 5, ldc = n + 2;
        double[] a = random(rnd, 2 + m * lda);
        double[] b = random(rnd, 1 + k * ldb);
        double[] c = random(rnd, 4 + m * ldc);
        double[] expect = c.clone();
        double alpha = -0.75;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += a[2 + i * lda + p] * b[1 + p * ldb + j];
                }
                expect[4 + i * ldc + j] += alpha * s;
            }
        }
        kern.gemm(m, n, k, alpha, a, 2, lda, b, 1, ldb, c, 4, ldc);
        for (int i = 0; i < c.length; i++) {
            assertEquals(expect[i], c[i], 1e-12 * (k + 1) * 4, "element " + i);
        }
        // The padding between rows of C must be untouched.
        for (int i = 0; i < m; i++) {
            for (int j = n; j < ldc && 4 + i * ldc + j < c.length; j++) {
                assertEquals(expect[4 + i * ldc + j], c[4 + i * ldc + j], 0.0);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("implementations")
    void axpyAndDot(LinAlgKernels kern) {
        Random rnd = new Random(5);
        for (int n : new int[]{0, 1, 7, 8, 17, 64, 101}) {
            double[] x = random(rnd, n + 3);
            double[] y = random(rnd, n + 2);
            double[] e = y.clone();
            double d = 0;
            for (int i = 0; i < n; i++) {
                e[2 + i] += 1.5 * x[3 + i];
                d += x[3 + i] * y[2 + i];
            }
            assertEquals(d, kern.dot(n, x, 3, y, 2), 1e-12 * (n + 1));
            kern.axpy(n, 1.5, x, 3, y, 2);
            for (int i = 0; i < y.length; i++) {
                assertEquals(e[i], y[i], 1e-14);
            }
        }
    }

    @Test
    void multiThreadedGemmEqualsSingleThreaded() {
        Random rnd = new Random(9);
        int m = 203, n = 77, k = 150;
        double[] a = random(rnd, m * k), b = random(rnd, k * n);
        double[] c1 = new double[m * n], c2 = new double[m * n];
        LinAlgKernels kern = LinAlg.kernels();
        kern.gemm(m, n, k, 1, a, 0, k, b, 0, n, c1, 0, n);
        LinAlg.gemm(kern, 4, m, n, k, 1, a, 0, k, b, 0, n, c2, 0, n);
        for (int i = 0; i < c1.length; i++) {
            assertEquals(c1[i], c2[i], 0.0, "row chunks must compute exactly the same sums");
        }
        assertTrue(kern.name().equals("vector") || kern.name().equals("scalar"));
    }

    static double[] random(Random rnd, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextGaussian();
        }
        return x;
    }
}
