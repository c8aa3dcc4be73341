package dev.spruce.jmh;

import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.util.SplittableRandom;

/** Helpers shared by the benchmarks: shape parsing and seeded random matrices. */
public final class Shapes {
    private Shapes() {
    }

    /** Parses "MxK" (out x in features) into {M, K}. */
    public static int[] parse(String shape) {
        String[] p = shape.toLowerCase(java.util.Locale.ROOT).split("x");
        if (p.length != 2) {
            throw new IllegalArgumentException("shape must be MxK, got '" + shape + "'");
        }
        return new int[] {Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim())};
    }

    /** A rows x cols matrix of uniform values in [-1, 1), rounded to {@code dtype}, from a fixed seed. */
    public static Matrix random(int rows, int cols, DType dtype, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[Math.toIntExact((long) rows * cols)];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return Matrix.of(a, rows, cols, dtype);
    }
}
