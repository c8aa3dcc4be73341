package dev.spruce.model;

/**
 * The error function for float GELU. Java has no Math.erf; this is Abramowitz and Stegun's formula 7.1.26
 * (absolute error below 1.5e-7 on the whole line), which for GELU = 0.5 x (1 + erf(x / sqrt 2)) means an
 * error under 1e-7 |x| — far inside float32 noise of the surrounding matrix products. One exp and one
 * division per value.
 */
final class Erf {
    private static final float P = 0.3275911f;
    private static final float A1 = 0.254829592f;
    private static final float A2 = -0.284496736f;
    private static final float A3 = 1.421413741f;
    private static final float A4 = -1.453152027f;
    private static final float A5 = 1.061405429f;

    private Erf() {
    }

    static float erf(float x) {
        float ax = Math.abs(x);
        float t = 1f / (1f + P * ax);
        float poly = t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5))));
        float y = 1f - poly * (float) Math.exp(-(double) ax * ax);
        return Math.copySign(y, x);
    }
}
