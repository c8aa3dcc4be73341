package dev.spruce.kernel.vector;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.scalar.ScalarBackend;
import dev.spruce.layout.BlockSparse;
import dev.spruce.layout.BlockSparseFixtures;
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

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * blockSpmm: Scalar and Vector (every width this CPU allows) against a float64 product with the layout's exact
 * {@code toDense()}: all block sizes, F32/BF16 values, odd batches (GEMV and tiled paths, token tails), empty block
 * rows, empty and fully dense matrices, one and three threads.
 */
class BlockSparseKernelTest {

    static List<Backend> backends(int bits, int threads) {
        List<Backend> b = new ArrayList<>();
        b.add(new ScalarBackend(threads));
        b.add(new VectorBackend(bits, threads));
        return b;
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        // {M, K, bh, bw, N, density%}
        int[][] c = {
            {64, 64, 16, 16, 1, 50}, {128, 96, 32, 32, 3, 60}, {128, 128, 64, 64, 1, 40}, {64, 128, 32, 64, 17, 50},
            {128, 64, 64, 32, 33, 70}, {96, 64, 32, 16, 40, 100}, {64, 96, 16, 32, 70, 30}, {64, 64, 16, 16, 8, 0},
            {48, 64, 16, 16, 130, 50}, {12, 10, 3, 5, 9, 60}, {7, 9, 7, 3, 35, 80}, {64, 64, 64, 64, 5, 100},
            // more kept blocks per row than one K-chunk holds (several chunks per block row)
            {32, 640, 16, 16, 40, 60}, {64, 320, 32, 32, 33, 70}, {12, 150, 3, 5, 20, 80},
            {32, 1280, 16, 16, 3, 70}, {64, 1024, 32, 32, 1, 60}, {8, 3000, 4, 30, 2, 90}};
        for (int bits : VectorBackendTest.widths()) {
            for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                for (int[] x : c) {
                    out.add(Arguments.of(bits, dt, x[0], x[1], x[2], x[3], x[4], x[5], x[4] % 2 == 0 ? 1 : 3));
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

    /** y against the float64 product with the float32 summation bound (K terms) as tolerance. */
    static void assertClose(float[] d, float[] x, int m, int k, int n, Matrix y, String what) {
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < m; r++) {
                double exact = 0;
                double mag = 0;
                for (int c = 0; c < k; c++) {
                    exact += (double) d[r * k + c] * x[t * k + c];
                    mag += Math.abs((double) d[r * k + c] * x[t * k + c]);
                }
                double tol = (k + 2) * 1.2e-7 * mag + 1e-30;
                float got = y.get(t, r);
                if (!(Math.abs(got - exact) <= tol)) {
                    fail(what + ": y[" + t + "][" + r + "] = " + got + ", float64 says " + exact + " (tol " + tol + ")");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} bits {1} {2}x{3} blocks {4}x{5} N={6} density {7}% threads={8}")
    @MethodSource("cases")
    void everyBackendMatchesFloat64(int bits, DType dt, int m, int k, int bh, int bw, int n, int densityPct, int threads) {
        SplittableRandom rnd = new SplittableRandom(131L * m + 17L * k + 7L * bh + n + bits);
        float[] xs = random(rnd, n * k);
        try (BlockSparse s = BlockSparseFixtures.randomLayout(rnd, m, k, bh, bw, densityPct / 100.0, dt);
             Matrix dense = s.toDense(); Matrix x = Matrix.of(xs, n, k); Matrix y = Matrix.allocate(n, m, DType.F32)) {
            float[] d = dense.toFloatArray();
            for (Backend b : backends(bits, threads)) {
                assertTrue(b.supports(Op.BLOCK_SPMM, dt), b.toString());
                y.fill(Float.NaN);
                b.blockSpmm(s, x, y);
                assertClose(d, xs, m, k, n, y, b + " blockSpmm " + s);
            }
        }
    }

    @Test
    void emptyBlockRowsGiveZeroRows() {
        // Block row 1 of 3 keeps nothing: its outputs must be written as zeros, not left as they were.
        boolean[] keep = {true, true, false, false, false, true};
        SplittableRandom rnd = new SplittableRandom(5);
        float[] a = BlockSparseFixtures.randomDense(rnd, 96, 64, 32, 32, keep);
        float[] xs = random(rnd, 20 * 64);
        for (int n : new int[] {1, 20}) {
            try (Matrix w = Matrix.of(a, 96, 64); BlockSparse s = BlockSparse.fromDense(w, 32, 32, keep, DType.F32);
                 Matrix x = Matrix.of(java.util.Arrays.copyOf(xs, n * 64), n, 64);
                 Matrix y = Matrix.allocate(n, 96, DType.F32)) {
                for (Backend b : backends(0, 2)) {
                    y.fill(Float.NaN);
                    b.blockSpmm(s, x, y);
                    assertClose(a, xs, 96, 64, n, y, b.toString());
                }
            }
        }
    }

    @Test
    void workIsCutByKeptBlocksNotByRows() {
        // 8 block rows: the first holds 30 blocks, the others 1 each (44 units of work with the per-row unit).
        int[] rowPtr = {0, 30, 31, 32, 33, 34, 35, 36, 37};
        int[] cuts = BlockSparseVectorOps.balancedCuts(rowPtr, 2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 1, 8}, cuts);
        int[] many = BlockSparseVectorOps.balancedCuts(rowPtr, 8);
        org.junit.jupiter.api.Assertions.assertEquals(0, many[0]);
        org.junit.jupiter.api.Assertions.assertEquals(8, many[8]);
        for (int q = 0; q < 8; q++) {
            assertTrue(many[q] <= many[q + 1], "non-decreasing");
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 3}, BlockSparseVectorOps.balancedCuts(new int[] {0, 0, 0, 0}, 1));
    }

    @Test
    void skewedRowsStillGiveEveryOutput() {
        // Most blocks in the first block row; several pieces, some empty, must still write every row.
        int m = 128;
        int k = 256;
        boolean[] keep = new boolean[(m / 16) * (k / 16)];
        java.util.Arrays.fill(keep, 0, k / 16, true);
        keep[5 * (k / 16) + 3] = true;
        SplittableRandom rnd = new SplittableRandom(12);
        float[] a = BlockSparseFixtures.randomDense(rnd, m, k, 16, 16, keep);
        for (int n : new int[] {1, 40}) {
            float[] xs = random(rnd, n * k);
            try (Matrix w = Matrix.of(a, m, k); BlockSparse s = BlockSparse.fromDense(w, 16, 16, keep, DType.F32);
                 Matrix x = Matrix.of(xs, n, k); Matrix y = Matrix.allocate(n, m, DType.F32)) {
                for (Backend b : backends(0, 3)) {
                    y.fill(Float.NaN);
                    b.blockSpmm(s, x, y);
                    assertClose(a, xs, m, k, n, y, b.toString());
                }
            }
        }
    }

    @Test
    void badShapesAndClosedInputsAreRejected() {
        try (BlockSparse s = BlockSparseFixtures.randomLayout(new SplittableRandom(1), 32, 64, 16, 16, 0.5, DType.F32);
             Matrix x = Matrix.allocate(2, 64, DType.F32); Matrix y = Matrix.allocate(2, 32, DType.F32);
             Matrix xWrongK = Matrix.allocate(2, 48, DType.F32); Matrix yWrongM = Matrix.allocate(2, 16, DType.F32);
             Matrix yWrongN = Matrix.allocate(3, 32, DType.F32); Matrix xBf16 = Matrix.allocate(2, 64, DType.BF16)) {
            for (Backend b : backends(0, 1)) {
                assertMessage(assertThrows(IllegalArgumentException.class, () -> b.blockSpmm(s, xWrongK, y)), "K=64");
                assertMessage(assertThrows(IllegalArgumentException.class, () -> b.blockSpmm(s, x, yWrongM)), "M=32");
                assertMessage(assertThrows(IllegalArgumentException.class, () -> b.blockSpmm(s, x, yWrongN)), "batch mismatch");
                assertMessage(assertThrows(IllegalArgumentException.class, () -> b.blockSpmm(s, xBf16, y)), "must be F32");
                assertMessage(assertThrows(IllegalArgumentException.class, () -> b.blockSpmm(null, x, y)), "must not be null");
                assertMessage(assertThrows(IllegalArgumentException.class, () -> b.blockSpmm(s, x, x)), "must be");
            }
        }
        BlockSparse closed = BlockSparseFixtures.randomLayout(new SplittableRandom(1), 16, 16, 16, 16, 1, DType.F32);
        closed.close();
        try (Matrix x = Matrix.allocate(1, 16, DType.F32); Matrix y = Matrix.allocate(1, 16, DType.F32)) {
            for (Backend b : backends(0, 1)) {
                assertThrows(IllegalStateException.class, () -> b.blockSpmm(closed, x, y));
            }
        }
    }

    private static void assertMessage(Throwable e, String part) {
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
    }
}
