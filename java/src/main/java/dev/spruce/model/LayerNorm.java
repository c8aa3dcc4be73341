package dev.spruce.model;

/** LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta, variance without Bessel's correction. */
public record LayerNorm(float[] gamma, float[] beta, float eps) {

    public LayerNorm {
        if (gamma.length != beta.length) {
            throw new IllegalArgumentException("LayerNorm gamma has " + gamma.length + " values, beta " + beta.length);
        }
    }

    public int size() {
        return gamma.length;
    }

    /** Normalises rows [r0, r1) of a row-major [rows x size] array in place. */
    public void apply(float[] x, int r0, int r1) {
        int h = gamma.length;
        for (int r = r0; r < r1; r++) {
            int base = r * h;
            float sum = 0f;
            for (int c = 0; c < h; c++) {
                sum += x[base + c];
            }
            float mean = sum / h;
            float sq = 0f;
            for (int c = 0; c < h; c++) {
                float d = x[base + c] - mean;
                sq += d * d;
            }
            float inv = (float) (1.0 / Math.sqrt(sq / h + eps));
            for (int c = 0; c < h; c++) {
                x[base + c] = (x[base + c] - mean) * inv * gamma[c] + beta[c];
            }
        }
    }
}
