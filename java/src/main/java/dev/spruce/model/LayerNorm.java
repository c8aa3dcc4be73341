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
            float mean = sum(x, base, h) / h;
            float inv = (float) (1.0 / Math.sqrt(squares(x, base, h, mean) / h + eps));
            for (int c = 0; c < h; c++) {
                x[base + c] = (x[base + c] - mean) * inv * gamma[c] + beta[c];
            }
        }
    }

    /*
     * Eight partial sums: C2 does not vectorise a float reduction (it would reorder the additions), so one running
     * sum is a chain of dependent adds, 4 cycles each; eight independent chains keep the adders busy (LayerNorm was
     * 5% of MiniLM's batch-1 forward with one chain).
     */

    /** The sum of x[base..base+h). */
    private static float sum(float[] x, int base, int h) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        int c = 0;
        for (; c + 8 <= h; c += 8) {
            int i = base + c;
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
            s4 += x[i + 4];
            s5 += x[i + 5];
            s6 += x[i + 6];
            s7 += x[i + 7];
        }
        for (; c < h; c++) {
            s0 += x[base + c];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** The sum of (x - mean)^2 over x[base..base+h). */
    private static float squares(float[] x, int base, int h, float mean) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        int c = 0;
        for (; c + 8 <= h; c += 8) {
            int i = base + c;
            float d0 = x[i] - mean, d1 = x[i + 1] - mean, d2 = x[i + 2] - mean, d3 = x[i + 3] - mean;
            float d4 = x[i + 4] - mean, d5 = x[i + 5] - mean, d6 = x[i + 6] - mean, d7 = x[i + 7] - mean;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
            s4 += d4 * d4;
            s5 += d5 * d5;
            s6 += d6 * d6;
            s7 += d7 * d7;
        }
        for (; c < h; c++) {
            float d = x[base + c] - mean;
            s0 += d * d;
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }
}
