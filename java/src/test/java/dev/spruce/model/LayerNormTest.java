package dev.spruce.model;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** LayerNorm against a float64 evaluation of its definition, on widths that are and are not multiples of 8. */
class LayerNormTest {

    @Test
    void matchesTheFloat64Definition() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int h : new int[] {1, 7, 8, 13, 384, 1000}) {
            float[] gamma = new float[h];
            float[] beta = new float[h];
            for (int c = 0; c < h; c++) {
                gamma[c] = (float) (rnd.nextDouble() * 2);
                beta[c] = (float) (rnd.nextDouble() - 0.5);
            }
            LayerNorm norm = new LayerNorm(gamma, beta, 1e-12f);
            int rows = 4;
            float[] x = new float[rows * h];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * 3 + 10); // a large mean, as residual streams have
            }
            // Row 1: mean exactly 0 (symmetric values), the case a sum-or-squares shortcut would get wrong.
            for (int c = 0; c < h; c++) {
                x[h + c] = c % 2 == 0 ? 2f : -2f;
            }
            if (h % 2 == 1) {
                x[h + h - 1] = 0f;
            }
            float[] in = x.clone();
            norm.apply(x, 0, rows);
            for (int r = 0; r < rows; r++) {
                double mean = 0;
                for (int c = 0; c < h; c++) {
                    mean += in[r * h + c];
                }
                mean /= h;
                double var = 0;
                for (int c = 0; c < h; c++) {
                    double d = in[r * h + c] - mean;
                    var += d * d;
                }
                var /= h;
                for (int c = 0; c < h; c++) {
                    double want = (in[r * h + c] - mean) / Math.sqrt(var + 1e-12) * gamma[c] + beta[c];
                    assertEquals(want, x[r * h + c], 2e-5 * (1 + Math.abs(want)), "h=" + h + " row " + r + " col " + c);
                }
            }
        }
    }
}
