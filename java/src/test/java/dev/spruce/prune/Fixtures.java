package dev.spruce.prune;

import dev.spruce.calib.LayerStats;

import java.util.Random;

/** Test data: weights, correlated activations, and float64 losses computed straight from X. */
public final class Fixtures {
    private Fixtures() {
    }

    public static float[] weights(int m, int k, long seed) {
        Random rnd = new Random(seed);
        float[] w = new float[m * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        return w;
    }

    /** Tokens whose inputs share a few latent factors (strongly correlated columns) and differ in scale. */
    public static float[] correlated(int n, int k, long seed) {
        Random rnd = new Random(seed);
        int f = Math.max(2, k / 8);
        double[] factors = new double[f * k];
        for (int i = 0; i < factors.length; i++) {
            factors[i] = rnd.nextGaussian();
        }
        double[] scale = new double[k];
        for (int j = 0; j < k; j++) {
            scale[j] = Math.exp(rnd.nextGaussian());
        }
        float[] x = new float[n * k];
        for (int t = 0; t < n; t++) {
            double[] z = new double[f];
            for (int i = 0; i < f; i++) {
                z[i] = rnd.nextGaussian();
            }
            for (int j = 0; j < k; j++) {
                double v = 0.3 * rnd.nextGaussian();
                for (int i = 0; i < f; i++) {
                    v += z[i] * factors[i * k + j];
                }
                x[t * k + j] = (float) (v * scale[j]);
            }
        }
        return x;
    }

    public static LayerStats full(float[] x, int n, int k) {
        LayerStats s = LayerStats.full("test", k);
        s.accumulate(x, n);
        return s;
    }

    /** ||(W - Ŵ) X||^2 = sum over tokens t and rows r of (sum_j (W - Ŵ)_rj x_tj)^2, in float64. */
    public static double directLoss(float[] w, float[] what, int m, int k, float[] x, int n) {
        double loss = 0;
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < m; r++) {
                double y = 0;
                for (int j = 0; j < k; j++) {
                    y += ((double) w[r * k + j] - (what == null ? 0.0 : what[r * k + j])) * x[t * k + j];
                }
                loss += y * y;
            }
        }
        return loss;
    }
}
