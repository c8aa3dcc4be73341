package dev.spruce.kernel.linalg;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CholeskyTest {

    /** A random SPD matrix X^T X + n I with n rows of noise. */
    static double[] spd(int n, long seed) {
        Random rnd = new Random(seed);
        int t = n + 5;
        double[] x = new double[t * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextGaussian();
        }
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < t; p++) {
                    s += x[p * n + i] * x[p * n + j];
                }
                a[i * n + j] = s + (i == j ? 1.0 : 0.0);
            }
        }
        return a;
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() {
        java.util.List<org.junit.jupiter.params.provider.Arguments> out = new java.util.ArrayList<>();
        for (LinAlgKernels k : LinAlgKernelsTest.implementations()) {
            for (int n : new int[]{1, 2, 7, 128, 129, 300}) {
                out.add(org.junit.jupiter.params.provider.Arguments.of(k, n));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} n={1}")
    @org.junit.jupiter.params.provider.MethodSource("cases")
    void factorReconstructsTheMatrixAndInverseIsExact(LinAlgKernels kern, int n) {
        double[] a = spd(n, n);
        double[] l = a.clone();
        Cholesky.factorLower(l, n, kern, 2);
        double scale = 0;
        for (double v : a) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (j > i) {
                    assertEquals(0.0, l[i * n + j], 0.0, "strict upper triangle must be zero");
                    continue;
                }
                double s = 0;
                for (int p = 0; p <= j; p++) {
                    s += l[i * n + p] * l[j * n + p];
                }
                assertEquals(a[i * n + j], s, 1e-12 * scale * n, "(L L^T)[" + i + "," + j + "]");
            }
        }
        double[] x = l.clone();
        TriangularInverse.invertLower(x, n, kern, 2);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < n; p++) {
                    s += x[i * n + p] * l[p * n + j];
                }
                assertEquals(i == j ? 1.0 : 0.0, s, 1e-10 * n, "(L^-1 L)[" + i + "," + j + "]");
            }
        }
    }

    @Test
    void indefiniteMatrixNamesThePivot() {
        int n = 140;
        double[] a = spd(n, 3);
        a[135 * n + 135] = -1e6;
        NotPositiveDefiniteException e = assertThrows(NotPositiveDefiniteException.class,
                () -> Cholesky.factorLower(a, n, LinAlg.kernels(), 1));
        assertEquals(135, e.pivot());
    }
}
