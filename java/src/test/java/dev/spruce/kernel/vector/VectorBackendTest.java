package dev.spruce.kernel.vector;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.PreparedGemm;
import dev.spruce.kernel.scalar.ScalarBackend;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Cross-backend tests in Lucene's style: the Vector backend at every width this CPU allows (forced
 * 128/256/512 and preferred) against the scalar reference and a float64 reference, on odd and even
 * sizes that hit every unroll edge and tail, with a tolerance that grows with K.
 */
class VectorBackendTest {
    static final int[] SIZES = {1, 3, 7, 15, 16, 31, 64, 127, 1000, 4099};

    static List<Integer> widths() {
        List<Integer> w = new ArrayList<>();
        w.add(0);
        for (int b : new int[] {128, 256, 512}) {
            // The preferred width forced by number is the same kernel class as 0: test it once.
            if (b < VectorConstants.PREFERRED_BITS) {
                w.add(b);
            }
        }
        return w;
    }

    /** (bits, dtype, M, K, N, threads): square-ish sweeps plus odd M/K/N combinations. */
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int bits : widths()) {
            for (DType dt : DType.values()) {
                for (int s : SIZES) {
                    int m = s > 1000 ? 5 : s;      // keep the 4099 cases cheap: long K, few rows
                    out.add(Arguments.of(bits, dt, m, s, 1, 1));
                    out.add(Arguments.of(bits, dt, Math.min(s, 67), s, s > 1000 ? 3 : Math.min(s, 45), 3));
                }
                for (int[] mkn : new int[][] {{13, 5, 33}, {6, 17, 32}, {7, 16, 17}, {37, 33, 65}, {1, 1, 40},
                        {100, 19, 9}, {12, 300, 31}, {5, 4099, 40}, {61, 64, 100}}) {
                    out.add(Arguments.of(bits, dt, mkn[0], mkn[1], mkn[2], 1));
                    out.add(Arguments.of(bits, dt, mkn[0], mkn[1], mkn[2], 2));
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

    @ParameterizedTest(name = "{0} bits {1} M={2} K={3} N={4} threads={5}")
    @MethodSource("cases")
    void matchesScalarAndFloat64(int bits, DType dt, int m, int k, int n, int threads) {
        SplittableRandom rnd = new SplittableRandom(31L * m + 7L * k + n + bits);
        VectorBackend vb = new VectorBackend(bits, threads);
        Backend ref = new ScalarBackend(1);
        try (Matrix w = Matrix.of(random(rnd, m * k), m, k, dt);
             Matrix x = Matrix.of(random(rnd, n * k), n, k);
             Matrix y = Matrix.allocate(n, m, DType.F32);
             Matrix yr = Matrix.allocate(n, m, DType.F32)) {
            y.fill(Float.NaN); // every output must be written
            if (n == 1) {
                vb.gemv(w, x, y);
                ref.gemv(w, x, yr);
            } else {
                vb.gemm(w, x, y);
                ref.gemm(w, x, yr);
            }
            float[] scalar = yr.toFloatArray();
            assertClose(vb.toString(), w, x, y.toFloatArray(), scalar);
            // The prepared form a model layer uses (panel-packed for F32) must give the same products.
            PreparedGemm prepared = vb.prepareGemm(w);
            assertEquals(dt == DType.F32, prepared.packedBytes() > 0, prepared.toString());
            y.fill(Float.NaN);
            prepared.gemm(x, y);
            assertClose(vb + " prepared " + prepared, w, x, y.toFloatArray(), scalar);
        }
    }

    private static void assertClose(String what, Matrix w, Matrix x, float[] got, float[] scalar) {
        int m = w.rows();
        int k = w.cols();
        int n = x.rows();
        float[] wf = w.toFloatArray();
        float[] xf = x.toFloatArray();
        double tol = 1e-6 * k + 1e-6; // |w|,|x| <= 1: each product error <= 2^-24, summed over k
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < m; r++) {
                double exact = 0;
                for (int c = 0; c < k; c++) {
                    exact += (double) wf[r * k + c] * xf[t * k + c];
                }
                int i = t * m + r;
                if (!(Math.abs(got[i] - exact) <= tol) || !(Math.abs(got[i] - scalar[i]) <= 2 * tol)) {
                    fail(what + ": Y[" + t + "," + r + "] = " + got[i] + ", float64 " + exact + ", scalar "
                            + scalar[i] + " (tol " + tol + ")");
                }
            }
        }
    }

    @Test
    void resultsDependOnInputs() {
        // A kernel that ignored part of W or X would still be "close" on zero data; check it is not constant.
        VectorBackend vb = new VectorBackend(0, 1);
        float[] w = new float[64 * 64];
        w[63 * 64 + 63] = 2f;
        try (Matrix wm = Matrix.of(w, 64, 64); Matrix x = Matrix.allocate(40, 64, DType.F32);
             Matrix y = Matrix.allocate(40, 64, DType.F32)) {
            x.set(39, 63, 3f);
            vb.gemm(wm, x, y);
            assertEquals(6f, y.get(39, 63));
            assertEquals(0f, y.get(38, 63));
            assertEquals(0f, y.get(39, 62));
        }
    }

    @Test
    void widthValidation() {
        assertThrows(UnsupportedOperationException.class, () -> new VectorBackend(64, 1));
        assertThrows(UnsupportedOperationException.class, () -> new VectorBackend(384, 1));
        assertThrows(UnsupportedOperationException.class, () -> new VectorBackend(2 * VectorConstants.PREFERRED_BITS, 1));
        assertThrows(IllegalArgumentException.class, () -> new VectorBackend(0, 0));
        assertEquals(VectorConstants.PREFERRED_BITS, new VectorBackend(0, 1).vectorBits());
    }

    @Test
    void loadedThroughBackends() {
        assertTrue(Backends.vector().isPresent(), Backends.vectorProbe().reason());
        assertEquals("vector", Backends.vector().get().name());
        assertTrue(Backends.vector().get().supports(Op.GEMM, DType.BF16));
        assertTrue(Backends.vector(128, 2).available());
    }

    @Test
    void badInputIsRejectedWithAMessage() {
        VectorBackend vb = new VectorBackend(0, 2);
        try (Matrix w = Matrix.allocate(8, 16, DType.BF16);
             Matrix x = Matrix.allocate(3, 16, DType.F32);
             Matrix y = Matrix.allocate(3, 8, DType.F32);
             Matrix x1 = Matrix.allocate(1, 16, DType.F32);
             Matrix y1 = Matrix.allocate(1, 8, DType.F32)) {
            assertMessage(IllegalArgumentException.class, "columns", () -> vb.gemm(w, Matrix.allocate(3, 15, DType.F32), y));
            assertMessage(IllegalArgumentException.class, "M=8", () -> vb.gemm(w, x, Matrix.allocate(3, 9, DType.F32)));
            assertMessage(IllegalArgumentException.class, "batch mismatch", () -> vb.gemm(w, x, Matrix.allocate(4, 8, DType.F32)));
            assertMessage(IllegalArgumentException.class, "must be F32", () -> vb.gemm(w, Matrix.allocate(3, 16, DType.BF16), y));
            assertMessage(IllegalArgumentException.class, "must not be null", () -> vb.gemm(null, x, y));
            assertMessage(IllegalArgumentException.class, "1x16", () -> vb.gemv(w, x, y1));
            assertMessage(IllegalArgumentException.class, "1x8", () -> vb.gemv(w, x1, y));
            Matrix closed = Matrix.allocate(8, 16, DType.F32);
            closed.close();
            assertMessage(IllegalStateException.class, "closed", () -> vb.gemv(closed, x1, y1));
            assertMessage(IllegalStateException.class, "closed", () -> vb.gemm(w, x, closedCopy(y)));
            // An op this backend lacks is refused by name (block-sparse products have no F16 kernel here).
            assertTrue(!vb.supports(Op.BLOCK_SPMM, DType.F16));
            UnsupportedOperationException u = vb.unsupported(Op.BLOCK_SPMM, DType.F16);
            assertTrue(u.getMessage().contains("vector") && u.getMessage().contains("BLOCK_SPMM"), u.getMessage());
        }
    }

    @Test
    void preparedProductAddsTheBias() {
        VectorBackend vb = new VectorBackend(0, 2);
        SplittableRandom rnd = new SplittableRandom(9);
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            for (int[] kn : new int[][] {{33, 1}, {33, 5}, {33, 25}, {33, 40}, {2048, 31}, {2048, 32}}) {
                int m = 70;
                int k = kn[0];
                int n = kn[1]; // 2048 wide from 32 tokens on: the in-place GEMM, bias added after
                float[] bias = random(rnd, m);
                try (Matrix w = Matrix.of(random(rnd, m * k), m, k, dt);
                     Matrix x = Matrix.of(random(rnd, n * k), n, k);
                     Matrix y = Matrix.allocate(n, m, DType.F32);
                     Matrix yb = Matrix.allocate(n, m, DType.F32)) {
                    PreparedGemm p = vb.prepareGemm(w);
                    p.gemm(x, y);
                    p.gemm(x, yb, bias);
                    float[] plain = y.toFloatArray();
                    float[] got = yb.toFloatArray();
                    for (int i = 0; i < got.length; i++) {
                        assertEquals(plain[i] + bias[i % m], got[i], 0f, dt + " n=" + n + " element " + i);
                    }
                    p.gemm(x, yb, null);
                    assertEquals(java.util.Arrays.toString(plain), java.util.Arrays.toString(yb.toFloatArray()));
                    assertMessage(IllegalArgumentException.class, "bias has 69 values", () -> p.gemm(x, yb, new float[69]));
                }
            }
        }
    }

    @Test
    void preparedProductRejectsBadInput() {
        VectorBackend vb = new VectorBackend(0, 2);
        try (Matrix w = Matrix.of(random(new SplittableRandom(5), 40 * 24), 40, 24);
             Matrix x = Matrix.allocate(3, 24, DType.F32);
             Matrix y = Matrix.allocate(3, 40, DType.F32)) {
            PreparedGemm p = vb.prepareGemm(w);
            assertEquals(40, p.rows());
            assertEquals(24, p.cols());
            // Panels of two vectors: 40 rows pad to the next whole panel.
            int nr = 2 * VectorConstants.PREFERRED_BITS / 32;
            assertEquals(4L * 24 * ((40 + nr - 1) / nr * nr), p.packedBytes());
            assertMessage(IllegalArgumentException.class, "columns", () -> p.gemm(Matrix.allocate(3, 23, DType.F32), y));
            assertMessage(IllegalArgumentException.class, "M=40", () -> p.gemm(x, Matrix.allocate(3, 41, DType.F32)));
            assertMessage(IllegalArgumentException.class, "batch mismatch", () -> p.gemm(x, Matrix.allocate(2, 40, DType.F32)));
            assertMessage(IllegalArgumentException.class, "must be F32", () -> p.gemm(Matrix.allocate(3, 24, DType.BF16), y));
            assertMessage(IllegalStateException.class, "closed", () -> p.gemm(x, closedCopy(y)));
            assertMessage(IllegalArgumentException.class, "must not be null", () -> vb.prepareGemm(null));
            Matrix closed = Matrix.allocate(8, 16, DType.F32);
            closed.close();
            assertMessage(IllegalStateException.class, "closed", () -> vb.prepareGemm(closed));
        }
    }

    private static Matrix closedCopy(Matrix m) {
        Matrix c = Matrix.allocate(m.rows(), m.cols(), m.dtype());
        c.close();
        return c;
    }

    private static <T extends Throwable> void assertMessage(Class<T> type, String part,
                                                             org.junit.jupiter.api.function.Executable call) {
        T e = assertThrows(type, call);
        assertTrue(e.getMessage() != null && e.getMessage().contains(part),
                "message should mention '" + part + "': " + e.getMessage());
    }
}
