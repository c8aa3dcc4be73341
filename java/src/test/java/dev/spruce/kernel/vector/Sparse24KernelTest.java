package dev.spruce.kernel.vector;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.scalar.ScalarBackend;
import dev.spruce.layout.Sparse24;
import dev.spruce.layout.Sparse24Fixtures;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * spmv24/spmm24: Scalar and Vector (every width this CPU allows) against a float64 product with the layout's
 * exact {@code toDense()}, on shapes that hit every unroll edge, K tail, K tile, token block and thread split.
 */
class Sparse24KernelTest {

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int bits : VectorBackendTest.widths()) {
            for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                int[][] mkn = {{1, 4, 1}, {3, 12, 1}, {5, 36, 1}, {37, 100, 1}, {64, 64, 1}, {9, 4100, 1},
                        {4, 260, 2}, {7, 36, 5}, {6, 64, 4}, {11, 132, 9}, {13, 68, 33}, {5, 2100, 40},
                        {17, 96, 70}, {3, 20, 130}, {1, 8, 64},
                        {40, 100, 9}, {33, 36, 7}, {32, 4100, 13}, {64, 128, 32}, {48, 52, 6},
                        // the token kernel (48+ tokens at 512 bits): K tails, rows past one 512-row chunk,
                        // last token blocks of 1, 2 and 4 vectors
                        {21, 2100, 70}, {600, 132, 129}, {9, 196, 145}, {2, 64, 177}};
                for (int[] c : mkn) {
                    out.add(Arguments.of(bits, dt, c[0], c[1], c[2], 1));
                    out.add(Arguments.of(bits, dt, c[0], c[1], c[2], 3));
                }
            }
        }
        return out.stream();
    }

    /** Every width this CPU allows x F32 and BF16 x each row of {@code shapes}, as (bits, dtype, shape...). */
    static Stream<Arguments> atEveryWidthAndDtype(int[][] shapes) {
        List<Arguments> out = new ArrayList<>();
        for (int bits : VectorBackendTest.widths()) {
            for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                for (int[] c : shapes) {
                    Object[] args = new Object[2 + c.length];
                    args[0] = bits;
                    args[1] = dt;
                    for (int i = 0; i < c.length; i++) {
                        args[2 + i] = c[i];
                    }
                    out.add(Arguments.of(args));
                }
            }
        }
        return out.stream();
    }

    static Stream<Arguments> rowKernelCases() {
        // several segments of K, token chunks of 48 and the rest, a K tail past the whole vectors
        return atEveryWidthAndDtype(new int[][] {{32, 300, 53}, {48, 1028, 100}, {16, 4100, 49}, {32, 132, 7},
                {16, 16, 2}, {32, 1024, 1}, {48, 2048, 13}});
    }

    /**
     * The row kernel on its own, at every width: the dispatch sends it 2 to 48 tokens (at 512 bits), or any number on layers too
     * small for the token kernel, and the test JVM lets the token kernel take every layer, so the products above
     * reach the row kernel's chunks of 48 tokens only from here.
     */
    @ParameterizedTest(name = "{0} bits {1} M={2} K={3} N={4}")
    @MethodSource("rowKernelCases")
    void rowKernelMatchesFloat64OverSegmentsAndTokenChunks(int bits, DType dt, int m, int k, int n) {
        SplittableRandom rnd = new SplittableRandom(977L * m + 31L * k + n + bits);
        Sparse24RowKernel kernel = WidthSpecialized.instance(Sparse24RowGemm.class, Sparse24RowKernel.class,
                bits == 0 ? VectorConstants.PREFERRED_BITS : bits);
        float[] xs = random(rnd, n * k);
        try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, m, k, dt); Matrix dense = s.toDense();
             Matrix x = Matrix.of(xs, n, k); Matrix y = Matrix.allocate(n, m, DType.F32)) {
            assertEquals(0, m % kernel.rowBlock(), "test shape: M must be whole row blocks");
            // The prefetch of each next segment (next block, next token chunk) must change nothing; layers big
            // enough to turn it on are too big for a unit test, so it is forced on here as well.
            for (boolean prefetch : new boolean[] {false, true}) {
                Sparse24RowPack pack = Sparse24RowPack.allocate(s, kernel.rowBlock(), prefetch);
                pack.fill(s, 0, m / kernel.rowBlock());
                y.fill(Float.NaN);
                kernel.rows(pack, s.values(), s.codes(), dt == DType.BF16, m, k, x.segment(), n, y.segment(), 0, m);
                assertClose(dense.toFloatArray(), xs, m, k, n, y, kernel + " rows, prefetch " + prefetch);
            }
        }
    }

    static Stream<Arguments> dotKernelCases() {
        // eight-row passes with token pairs, an odd last token, rows past the last eight, a K tail, and a row range
        // that starts inside the layer (M, K, N, first row)
        return atEveryWidthAndDtype(new int[][] {{16, 4100, 2, 0}, {24, 300, 3, 0}, {29, 132, 7, 3}, {40, 1028, 4, 5},
                {8, 64, 1, 0}, {19, 68, 5, 2}});
    }

    /**
     * The dot-product kernel on its own, at every width: the dispatch sends it a few tokens only on layers too big
     * for the caches (or with fewer rows than a row block), which the products above do not build.
     */
    @ParameterizedTest(name = "{0} bits {1} M={2} K={3} N={4} from row {5}")
    @MethodSource("dotKernelCases")
    void dotKernelMatchesFloat64OverRowPassesAndTokenPairs(int bits, DType dt, int m, int k, int n, int r0) {
        SplittableRandom rnd = new SplittableRandom(733L * m + 29L * k + n + bits);
        Sparse24DotKernel kernel = WidthSpecialized.instance(Sparse24Gemv.class, Sparse24DotKernel.class,
                bits == 0 ? VectorConstants.PREFERRED_BITS : bits);
        float[] xs = random(rnd, n * k);
        try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, m, k, dt); Matrix dense = s.toDense();
             Matrix x = Matrix.of(xs, n, k); Matrix y = Matrix.allocate(n, m, DType.F32)) {
            y.fill(Float.NaN);
            kernel.rows(s.values(), s.codes(), dt == DType.BF16, m, k, x.segment(), n, y.segment(), r0, m);
            float[] d = dense.toFloatArray();
            for (int t = 0; t < n; t++) {
                for (int r = 0; r < r0; r++) {
                    assertTrue(Float.isNaN(y.get(t, r)), kernel + " wrote row " + r + " outside its range");
                }
            }
            float[] rows = java.util.Arrays.copyOfRange(d, r0 * k, m * k);
            try (Matrix part = Matrix.allocate(n, m - r0, DType.F32)) {
                for (int t = 0; t < n; t++) {
                    for (int r = r0; r < m; r++) {
                        part.set(t, r - r0, y.get(t, r));
                    }
                }
                assertClose(rows, xs, m - r0, k, n, part, kernel + " rows");
            }
        }
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** Checks y against the float64 product, with the float32 summation bound (K/2 terms) as tolerance. */
    static void assertClose(float[] d, float[] x, int m, int k, int n, Matrix y, String what) {
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < m; r++) {
                double exact = 0;
                double mag = 0;
                for (int c = 0; c < k; c++) {
                    exact += (double) d[r * k + c] * x[t * k + c];
                    mag += Math.abs((double) d[r * k + c] * x[t * k + c]);
                }
                double tol = (k / 2 + 2) * 1.2e-7 * mag + 1e-30;
                float got = y.get(t, r);
                if (!(Math.abs(got - exact) <= tol)) {
                    fail(what + ": y[" + t + "][" + r + "] = " + got + ", float64 says " + exact + " (tol " + tol + ")");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} bits {1} M={2} K={3} N={4} threads={5}")
    @MethodSource("cases")
    void scalarAndVectorMatchFloat64(int bits, DType dt, int m, int k, int n, int threads) {
        SplittableRandom rnd = new SplittableRandom(131L * m + 17L * k + n + bits);
        Backend[] backends = {new ScalarBackend(threads), new VectorBackend(bits, threads)};
        float[] xs = random(rnd, n * k);
        try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, m, k, dt); Matrix dense = s.toDense();
             Matrix x = Matrix.of(xs, n, k); Matrix y = Matrix.allocate(n, m, DType.F32)) {
            float[] d = dense.toFloatArray();
            for (Backend b : backends) {
                assertTrue(b.supports(Op.SPMM24, dt) && b.supports(Op.SPMV24, dt));
                y.fill(Float.NaN);
                b.spmm24(s, x, y);
                assertClose(d, xs, m, k, n, y, b + " spmm24");
                if (n == 1) {
                    y.fill(Float.NaN);
                    b.spmv24(s, x, y);
                    assertClose(d, xs, m, k, n, y, b + " spmv24");
                }
            }
        }
    }

    /**
     * Six user threads multiply one layer at once, each with its own tokens, through one backend: the token kernel's
     * scratch slots, per-thread sums and transposed blocks, and the layer's shared repack, must keep the callers
     * apart (results checked against float64, and a caller's token count changes between calls).
     */
    @Test
    void concurrentCallersGetTheirOwnProducts() throws Exception {
        int m = 70;
        int k = 196;
        try (Sparse24 s = Sparse24Fixtures.randomLayout(new SplittableRandom(77), m, k, DType.F32);
             Matrix dense = s.toDense()) {
            float[] d = dense.toFloatArray();
            Backend b = new VectorBackend(0, 2);
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < 6; c++) {
                    final int caller = c;
                    done.add(pool.submit(() -> {
                        SplittableRandom rnd = new SplittableRandom(1000 + caller);
                        for (int call = 0; call < 12; call++) {
                            int n = 64 + (caller * 37 + call * 53) % 140;
                            float[] xs = random(rnd, n * k);
                            try (Matrix x = Matrix.of(xs, n, k); Matrix y = Matrix.allocate(n, m, DType.F32)) {
                                y.fill(Float.NaN);
                                b.spmm24(s, x, y);
                                assertClose(d, xs, m, k, n, y, "caller " + caller + " call " + call + " n=" + n);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(2, TimeUnit.MINUTES);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * One layer through a sequence of batch sizes on one backend: the row kernel's repacked copy is built on the
     * first many-token call and reused (10.7 MB, big enough to prefetch), and a BF16 layer past the cache-size cut
     * (1040 x 4100 = 4.3 MB of values) switches between the dot kernel (below 7 tokens) and the row kernel; every
     * result still matches float64.
     */
    @Test
    void repackedLayerServesRepeatedCallsAtEveryBatch() {
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            SplittableRandom rnd = new SplittableRandom(dt.ordinal() + 99);
            int m = 1040;
            int k = 4100;
            try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, m, k, dt); Matrix dense = s.toDense()) {
                float[] d = dense.toFloatArray();
                Backend b = new VectorBackend(0, 2);
                for (int n : new int[] {2, 9, 1, 7, 2, 13}) {
                    float[] xs = random(rnd, n * k);
                    try (Matrix x = Matrix.of(xs, n, k); Matrix y = Matrix.allocate(n, m, DType.F32)) {
                        y.fill(Float.NaN);
                        b.spmm24(s, x, y);
                        assertClose(d, xs, m, k, n, y, dt + " n=" + n);
                    }
                }
            }
        }
    }

    @Test
    void vectorMatchesScalarOnAllZeroGroupsAndSingletons() {
        // Rows of all-zero groups and single non-zeros exercise the explicit-zero free slots.
        int m = 8;
        int k = 64;
        float[] a = new float[m * k];
        for (int r = 0; r < m; r++) {
            for (int g = 0; g < k / 4; g++) {
                if ((r + g) % 3 == 1) {
                    a[r * k + 4 * g + (g % 4)] = r + 1;
                }
            }
        }
        SplittableRandom rnd = new SplittableRandom(7);
        float[] xs = random(rnd, 3 * k);
        try (Matrix w = Matrix.of(a, m, k); Sparse24 s = Sparse24.pack(w, DType.F32); Matrix x = Matrix.of(xs, 3, k);
             Matrix y = Matrix.allocate(3, m, DType.F32)) {
            for (Backend b : new Backend[] {new ScalarBackend(1), new VectorBackend(0, 2)}) {
                b.spmm24(s, x, y);
                assertClose(a, xs, m, k, 3, y, b.toString());
            }
        }
    }

    @Test
    void argumentsAreCheckedBeforeAnyWork() {
        SplittableRandom rnd = new SplittableRandom(8);
        Backend[] backends = {new ScalarBackend(1), new VectorBackend(0, 1)};
        try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, 4, 8, DType.F32); Matrix x = Matrix.allocate(1, 8, DType.F32);
             Matrix xWrong = Matrix.allocate(1, 12, DType.F32); Matrix y = Matrix.allocate(1, 4, DType.F32);
             Matrix yWrong = Matrix.allocate(2, 4, DType.F32); Matrix xBf = Matrix.allocate(1, 8, DType.BF16)) {
            for (Backend b : backends) {
                assertTrue(assertThrows(IllegalArgumentException.class, () -> b.spmv24(s, xWrong, y)).getMessage()
                        .contains("1x8"));
                assertThrows(IllegalArgumentException.class, () -> b.spmm24(s, x, yWrong));
                assertTrue(assertThrows(IllegalArgumentException.class, () -> b.spmv24(s, xBf, y)).getMessage()
                        .contains("F32"));
                assertThrows(IllegalArgumentException.class, () -> b.spmv24(null, x, y));
                assertThrows(IllegalArgumentException.class, () -> b.spmv24(s, x, x));
            }
            Sparse24 closed = Sparse24Fixtures.randomLayout(rnd, 4, 8, DType.F32);
            closed.close();
            for (Backend b : backends) {
                assertThrows(IllegalStateException.class, () -> b.spmv24(closed, x, y));
            }
        }
    }

    @Test
    void vectorRefusesF16ValuesClearlyAndScalarRunsThem() {
        SplittableRandom rnd = new SplittableRandom(9);
        VectorBackend v = new VectorBackend(0, 1);
        assertFalse(v.supports(Op.SPMV24, DType.F16));
        float[] xs = random(rnd, 16);
        try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, 3, 16, DType.F16); Matrix d = s.toDense();
             Matrix x = Matrix.of(xs, 1, 16); Matrix y = Matrix.allocate(1, 3, DType.F32)) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> v.spmv24(s, x, y));
            assertTrue(e.getMessage().contains("F16"), e.getMessage());
            new ScalarBackend(1).spmv24(s, x, y);
            assertClose(d.toFloatArray(), xs, 3, 16, 1, y, "scalar f16");
        }
    }

    @Test
    void backendWithoutSparseSupportSaysSo() {
        Backend bare = new Backend() {
            public String name() {
                return "bare";
            }

            public int threads() {
                return 1;
            }

            public boolean supports(Op op, DType weights) {
                return false;
            }

            public void gemv(Matrix w, Matrix x, Matrix y) {
            }

            public void gemm(Matrix w, Matrix x, Matrix y) {
            }
        };
        try (Sparse24 s = Sparse24Fixtures.randomLayout(new SplittableRandom(1), 2, 4, DType.F32);
             Matrix x = Matrix.allocate(1, 4, DType.F32); Matrix y = Matrix.allocate(1, 2, DType.F32)) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> bare.spmv24(s, x, y));
            assertEquals("backend 'bare' does not implement SPMV24 for F32 weights", e.getMessage());
        }
    }
}
