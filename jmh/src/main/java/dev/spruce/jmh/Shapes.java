package dev.spruce.jmh;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.util.SplittableRandom;

/** Helpers shared by the benchmarks: shape parsing, seeded random data, the Vector backend under test. */
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
        return Matrix.of(randomArray(Math.toIntExact((long) rows * cols), seed), rows, cols, dtype);
    }

    /** n uniform values in [-1, 1) from a fixed seed. */
    public static float[] randomArray(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** The Vector API backend with {@code threads} threads; a benchmark without it has nothing to measure. */
    public static Backend vectorBackend(int threads) {
        Backends.Probe p = Backends.vector(0, threads);
        if (!p.available()) {
            throw new IllegalStateException("Vector backend not available: " + p.reason());
        }
        return p.backend();
    }
}
