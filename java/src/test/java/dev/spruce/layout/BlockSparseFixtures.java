package dev.spruce.layout;

import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.util.SplittableRandom;

/** Random block-sparse matrices for tests: a random keep mask over the block grid, random values in kept blocks. */
public final class BlockSparseFixtures {
    private BlockSparseFixtures() {
    }

    /** Keep flags with about {@code density} of the blocks kept (0 and 1 give the empty and the full grid). */
    public static boolean[] randomKeep(SplittableRandom rnd, int blocks, double density) {
        boolean[] keep = new boolean[blocks];
        for (int i = 0; i < blocks; i++) {
            keep[i] = rnd.nextDouble() < density;
        }
        return keep;
    }

    /** A dense m x k matrix that is zero outside the kept blocks of {@code keep}. */
    public static float[] randomDense(SplittableRandom rnd, int m, int k, int bh, int bw, boolean[] keep) {
        float[] a = new float[m * k];
        int bc = k / bw;
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < k; c++) {
                if (keep[(r / bh) * bc + c / bw]) {
                    a[r * k + c] = (float) (rnd.nextDouble() * 2 - 1);
                }
            }
        }
        return a;
    }

    /** A packed random layout with about {@code density} of its blocks kept and values of {@code dt}. */
    public static BlockSparse randomLayout(SplittableRandom rnd, int m, int k, int bh, int bw, double density, DType dt) {
        boolean[] keep = randomKeep(rnd, (m / bh) * (k / bw), density);
        try (Matrix d = Matrix.of(randomDense(rnd, m, k, bh, bw, keep), m, k)) {
            return BlockSparse.fromDense(d, bh, bw, keep, dt);
        }
    }
}
