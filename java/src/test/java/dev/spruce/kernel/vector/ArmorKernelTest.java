package dev.spruce.kernel.vector;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.scalar.ScalarBackend;
import dev.spruce.layout.ArmorFixtures;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * ARMOR products: Scalar and Vector (every width this CPU allows) against a float64 product through the factors
 * and against the layout's exact {@code toDense()}, for block sizes 4 to 128, odd and even batches that take every
 * kernel path (dot products, the fused core+A path with either A form, the row-lane core), f32 and bf16 cores,
 * with and without bias.
 */
class ArmorKernelTest {
    private static final double EPS = 1.2e-7;

    static Stream<Arguments> cases() {
        // M, K, bsA, bsB
        // bs 20 and 48: vector part plus scalar tail in the dot form, or an odd vector count in the axpy form.
        int[][] shapes = {{12, 20, 4, 4}, {48, 64, 16, 16}, {64, 96, 32, 32}, {32, 64, 16, 32}, {128, 256, 128, 128},
                {40, 40, 20, 20}, {48, 96, 48, 24}};
        int[] batches = {1, 5, 33, 130};
        List<Arguments> out = new ArrayList<>();
        int i = 0;
        for (int bits : VectorBackendTest.widths()) {
            for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                for (int[] s : shapes) {
                    for (int n : batches) {
                        out.add(Arguments.of(bits, dt, s[0], s[1], s[2], s[3], n, i++ % 2 == 0));
                    }
                }
            }
        }
        return out.stream();
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** y = A (S (B x)) + bias in float64 from the stored factors, and the same chain on absolute values. */
    static double[][] reference(ArmorLayout l, float[] x, int n) {
        int m = l.rows();
        int k = l.cols();
        float[] a = l.a().toArray();
        float[] b = l.b().toArray();
        float[] bias = l.bias();
        int ba = l.a().blockSize();
        int bb = l.b().blockSize();
        double[] y = new double[n * m];
        double[] mag = new double[n * m];
        try (Matrix s = l.core().toDense()) {
            float[] sd = s.toFloatArray();
            for (int t = 0; t < n; t++) {
                double[] u = new double[k];
                double[] um = new double[k];
                for (int r = 0; r < k; r++) {
                    int blk = r / bb;
                    for (int c = 0; c < bb; c++) {
                        double p = (double) b[blk * bb * bb + (r % bb) * bb + c] * x[t * k + blk * bb + c];
                        u[r] += p;
                        um[r] += Math.abs(p);
                    }
                }
                double[] v = new double[m];
                double[] vm = new double[m];
                for (int r = 0; r < m; r++) {
                    for (int c = 0; c < k; c++) {
                        v[r] += sd[r * k + c] * u[c];
                        vm[r] += Math.abs(sd[r * k + c]) * um[c];
                    }
                }
                for (int r = 0; r < m; r++) {
                    int blk = r / ba;
                    double acc = bias == null ? 0 : bias[r];
                    double am = bias == null ? 0 : Math.abs(bias[r]);
                    for (int c = 0; c < ba; c++) {
                        double w = a[blk * ba * ba + (r % ba) * ba + c];
                        acc += w * v[blk * ba + c];
                        am += Math.abs(w) * vm[blk * ba + c];
                    }
                    y[t * m + r] = acc;
                    mag[t * m + r] = am;
                }
            }
        }
        return new double[][] {y, mag};
    }

    static void assertClose(ArmorLayout l, double[][] ref, Matrix y, String what) {
        int m = l.rows();
        // float32 rounding along the chain: each output is a sum of bsA + K/2 + bsB products, three roundings deep.
        double terms = l.a().blockSize() + l.cols() / 2.0 + l.b().blockSize() + 4;
        for (int t = 0; t < y.rows(); t++) {
            for (int r = 0; r < m; r++) {
                double exact = ref[0][t * m + r];
                double tol = terms * EPS * ref[1][t * m + r] + 1e-30;
                float got = y.get(t, r);
                if (!(Math.abs(got - exact) <= tol)) {
                    fail(what + ": y[" + t + "][" + r + "] = " + got + ", float64 says " + exact + " (tol " + tol + ")");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} bits {1} M={2} K={3} bsA={4} bsB={5} N={6} bias={7}")
    @MethodSource("cases")
    void scalarAndVectorMatchFloat64(int bits, DType dt, int m, int k, int bsA, int bsB, int n, boolean bias) {
        SplittableRandom rnd = new SplittableRandom(31L * m + 7L * k + 3L * n + bits + bsA);
        float[] xs = random(rnd, n * k);
        try (ArmorLayout l = ArmorFixtures.random(rnd, m, k, bsA, bsB, dt, bias); Matrix x = Matrix.of(xs, n, k);
             Matrix y = Matrix.allocate(n, m, DType.F32); Matrix ref = Matrix.allocate(n, m, DType.F32);
             Matrix w = l.toDense()) {
            double[][] exact = reference(l, xs, n);
            ScalarBackend scalar = new ScalarBackend(2);
            scalar.armor(l, x, ref);
            assertClose(l, exact, ref, "scalar");
            Backend v = new VectorBackend(bits, 3);
            assertTrue(v.supports(Op.ARMOR, dt));
            y.fill(Float.NaN);
            v.armor(l, x, y);
            assertClose(l, exact, y, v + " armor");
            // Against the scalar backend and the dense toDense() product: both within the same float32 bound.
            double terms = bsA + k / 2.0 + bsB + 4;
            float[] wd = w.toFloatArray();
            float[] b = l.bias();
            for (int t = 0; t < n; t++) {
                for (int r = 0; r < m; r++) {
                    double tol = 2 * terms * EPS * exact[1][t * m + r] + 1e-30;
                    if (!(Math.abs(y.get(t, r) - ref.get(t, r)) <= tol)) {
                        fail("vector vs scalar at [" + t + "][" + r + "]: " + y.get(t, r) + " vs " + ref.get(t, r));
                    }
                    double dense = b == null ? 0 : b[r];
                    for (int c = 0; c < k; c++) {
                        dense += (double) wd[r * k + c] * xs[t * k + c];
                    }
                    if (!(Math.abs(y.get(t, r) - dense) <= tol)) {
                        fail("vector vs toDense at [" + t + "][" + r + "]: " + y.get(t, r) + " vs " + dense);
                    }
                }
            }
        }
    }

    @Test
    void repeatedCallsGiveTheSameBits() {
        // The per-thread scratch is reused across calls and shapes: a second call must not see stale data.
        SplittableRandom rnd = new SplittableRandom(4);
        VectorBackend v = new VectorBackend(0, 2);
        try (ArmorLayout big = ArmorFixtures.random(rnd, 64, 128, 32, 32, DType.F32, true);
             ArmorLayout small = ArmorFixtures.random(rnd, 16, 32, 16, 8, DType.F32, false);
             Matrix xb = Matrix.of(random(rnd, 3 * 128), 3, 128); Matrix yb = Matrix.allocate(3, 64, DType.F32);
             Matrix xs = Matrix.of(random(rnd, 32), 1, 32); Matrix ys = Matrix.allocate(1, 16, DType.F32)) {
            v.armor(big, xb, yb);
            float[] first = yb.toFloatArray();
            v.armor(small, xs, ys);
            float[] s1 = ys.toFloatArray();
            v.armor(big, xb, yb);
            v.armor(small, xs, ys);
            org.junit.jupiter.api.Assertions.assertArrayEquals(first, yb.toFloatArray());
            org.junit.jupiter.api.Assertions.assertArrayEquals(s1, ys.toFloatArray());
        }
    }

    @Test
    void badArgumentsAreRejectedBeforeAnyWork() {
        SplittableRandom rnd = new SplittableRandom(8);
        Backend[] backends = {new ScalarBackend(1), new VectorBackend(0, 1)};
        try (ArmorLayout l = ArmorFixtures.random(rnd, 8, 16, 4, 8, DType.F32, true);
             Matrix x = Matrix.allocate(2, 16, DType.F32); Matrix xWrong = Matrix.allocate(2, 12, DType.F32);
             Matrix y = Matrix.allocate(2, 8, DType.F32); Matrix yWrong = Matrix.allocate(3, 8, DType.F32);
             Matrix yCols = Matrix.allocate(2, 9, DType.F32); Matrix xBf = Matrix.allocate(2, 16, DType.BF16)) {
            for (Backend b : backends) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.armor(l, xWrong, y));
                assertTrue(e.getMessage().contains("K=16"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> b.armor(l, x, yWrong));
                assertTrue(e.getMessage().contains("batch mismatch"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> b.armor(l, x, yCols));
                assertTrue(e.getMessage().contains("M=8"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> b.armor(l, xBf, y));
                assertTrue(e.getMessage().contains("F32"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> b.armor(null, x, y));
            }
        }
        ArmorLayout closed = ArmorFixtures.random(rnd, 8, 16, 4, 8, DType.F32, false);
        closed.close();
        try (Matrix x = Matrix.allocate(1, 16, DType.F32); Matrix y = Matrix.allocate(1, 8, DType.F32)) {
            for (Backend b : backends) {
                assertThrows(IllegalStateException.class, () -> b.armor(closed, x, y));
            }
        }
    }

    @Test
    void vectorRefusesF16CoresClearly() {
        VectorBackend v = new VectorBackend(0, 1);
        assertFalse(v.supports(Op.ARMOR, DType.F16));
        try (ArmorLayout l = ArmorFixtures.random(new SplittableRandom(3), 8, 16, 4, 4, DType.F16, false);
             Matrix x = Matrix.allocate(1, 16, DType.F32); Matrix y = Matrix.allocate(1, 8, DType.F32)) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> v.armor(l, x, y));
            assertTrue(e.getMessage().contains("F16"), e.getMessage());
            new ScalarBackend(1).armor(l, x, y); // the reference runs every value type
        }
    }

    @Test
    void aBackendWithoutArmorChecksThenSaysSo() {
        Backend bare = new Backend() {
            public String name() {
                return "bare";
            }

            public int threads() {
                return 1;
            }

            public boolean supports(Op op, dev.spruce.tensor.DType weights) {
                return false;
            }

            public void gemv(Matrix w, Matrix x, Matrix y) {
            }

            public void gemm(Matrix w, Matrix x, Matrix y) {
            }
        };
        try (ArmorLayout l = ArmorFixtures.random(new SplittableRandom(1), 8, 16, 4, 4, DType.F32, false);
             Matrix x = Matrix.allocate(1, 16, DType.F32); Matrix y = Matrix.allocate(1, 8, DType.F32);
             Matrix bad = Matrix.allocate(1, 12, DType.F32)) {
            assertThrows(IllegalArgumentException.class, () -> bare.armor(l, bad, y));
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> bare.armor(l, x, y));
            org.junit.jupiter.api.Assertions.assertEquals("backend 'bare' does not implement ARMOR for F32 weights",
                    e.getMessage());
        }
    }
}
