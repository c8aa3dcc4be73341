package dev.spruce.layout;

import dev.spruce.tensor.DType;

import java.util.SplittableRandom;

/** Random ARMOR layouts for layout and kernel tests. */
public final class ArmorFixtures {
    private ArmorFixtures() {
    }

    /** n/bs random blocks with entries in [-1, 1) scaled by 1/sqrt(bs), so products stay near unit size. */
    public static BlockDiagonal randomBlocks(SplittableRandom rnd, int n, int bs) {
        float[] a = new float[n * bs];
        double scale = 1.0 / Math.sqrt(bs);
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return BlockDiagonal.of(n, bs, a);
    }

    /** A random M x K layout with wrappers of block sizes bsA (M side) and bsB (K side) and an optional bias. */
    public static ArmorLayout random(SplittableRandom rnd, int m, int k, int bsA, int bsB, DType core, boolean bias) {
        float[] b = null;
        if (bias) {
            b = new float[m];
            for (int i = 0; i < m; i++) {
                b[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
        }
        return ArmorLayout.of(randomBlocks(rnd, m, bsA), Sparse24Fixtures.randomLayout(rnd, m, k, core),
                randomBlocks(rnd, k, bsB), b);
    }
}
