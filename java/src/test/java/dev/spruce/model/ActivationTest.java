package dev.spruce.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivationTest {

    /** erf by midpoint integration of 2/sqrt(pi) exp(-t^2) in float64: slow, but independent of the formula. */
    private static double erfReference(double x) {
        int n = 20000;
        double h = x / n;
        double s = 0;
        for (int i = 0; i < n; i++) {
            double t = (i + 0.5) * h;
            s += Math.exp(-t * t);
        }
        return 2 / Math.sqrt(Math.PI) * s * h;
    }

    @Test
    void geluErfMatchesFloat64Reference() {
        double worst = 0;
        for (double v = -9; v <= 9; v += 0.0137) {
            float[] y = {(float) v};
            Activation.GELU_ERF.apply(y, 0, 1);
            double want = 0.5 * (float) v * (1 + erfReference((float) v / Math.sqrt(2)));
            worst = Math.max(worst, Math.abs(y[0] - want) / Math.max(1, Math.abs(v)));
        }
        assertTrue(worst < 5e-7, "worst scaled error " + worst);
        float[] edge = {1e30f, -1e30f, Float.NaN, 0f};
        Activation.GELU_ERF.apply(edge, 0, edge.length);
        assertEquals(1e30f, edge[0]);
        assertEquals(0f, edge[1]);
        assertTrue(Float.isNaN(edge[2]));
        assertEquals(0f, edge[3]);
        assertEquals(0.8427007929, Gelu.erf(1f), 3e-7);
        assertEquals(-0.8427007929, Gelu.erf(-1f), 3e-7);
    }

    @Test
    void tanhFormAndRelu() {
        float[] y = {1f, -2f};
        Activation.GELU_TANH.apply(y, 0, 2);
        assertEquals(0.8411920f, y[0], 1e-6);
        assertEquals(-0.04540231f, y[1], 1e-6);
        float[] r = {-1f, 2f};
        Activation.RELU.apply(r, 0, 2);
        assertEquals(0f, r[0]);
        assertEquals(2f, r[1]);
    }
}
