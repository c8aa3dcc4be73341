package dev.spruce.layout;

import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.util.SplittableRandom;

/** Random 2:4-sparse dense matrices for tests: every group keeps 0, 1 or 2 non-zeros at random positions. */
public final class Sparse24Fixtures {
    private Sparse24Fixtures() {
    }

    public static float[] random24(SplittableRandom rnd, int m, int k) {
        float[] a = new float[m * k];
        for (int r = 0; r < m; r++) {
            for (int g = 0; g < k / 4; g++) {
                int keep = rnd.nextInt(10) == 0 ? rnd.nextInt(2) : 2; // mostly full groups, some sparser
                int p0 = rnd.nextInt(4);
                int p1 = (p0 + 1 + rnd.nextInt(3)) % 4;
                if (keep >= 1) {
                    a[r * k + 4 * g + p0] = nonZero(rnd);
                }
                if (keep == 2) {
                    a[r * k + 4 * g + p1] = nonZero(rnd);
                }
            }
        }
        return a;
    }

    private static float nonZero(SplittableRandom rnd) {
        float v = (float) (rnd.nextDouble() * 2 - 1);
        return v == 0f ? 0.5f : v;
    }

    /** A packed random 2:4 layout with values of {@code dt}. */
    public static Sparse24 randomLayout(SplittableRandom rnd, int m, int k, DType dt) {
        try (Matrix d = Matrix.of(random24(rnd, m, k), m, k, dt)) {
            return Sparse24.pack(d, dt);
        }
    }
}
