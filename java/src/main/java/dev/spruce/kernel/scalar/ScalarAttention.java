package dev.spruce.kernel.scalar;

import dev.spruce.kernel.Parallel;

/**
 * The reference multi-head self-attention (see {@link dev.spruce.kernel.Backend#attention}): plain loops, one
 * (sentence, head) pair per task, softmax with the row maximum subtracted.
 */
public final class ScalarAttention {
    private ScalarAttention() {
    }

    /** Arguments already checked. */
    public static void run(float[] q, float[] k, float[] v, float[] ctx, int[] offsets, int heads, int d,
                           float scale, int threads) {
        final int hid = heads * d;
        final int sentences = offsets.length - 1;
        Parallel.forRange(sentences * heads, threads, 1, (t0, t1) -> {
            float[] scores = new float[0];
            for (int task = t0; task < t1; task++) {
                int b = task / heads;
                int col = (task % heads) * d;
                int off = offsets[b];
                int len = offsets[b + 1] - off;
                if (scores.length < len) {
                    scores = new float[len];
                }
                for (int i = 0; i < len; i++) {
                    int qi = (off + i) * hid + col;
                    for (int j = 0; j < len; j++) {
                        int kj = (off + j) * hid + col;
                        float s = 0f;
                        for (int c = 0; c < d; c++) {
                            s += q[qi + c] * k[kj + c];
                        }
                        scores[j] = s;
                    }
                    softmax(scores, len, scale);
                    int ci = (off + i) * hid + col;
                    java.util.Arrays.fill(ctx, ci, ci + d, 0f);
                    for (int j = 0; j < len; j++) {
                        float p = scores[j];
                        int vj = (off + j) * hid + col;
                        for (int c = 0; c < d; c++) {
                            ctx[ci + c] += p * v[vj + c];
                        }
                    }
                }
            }
        });
    }

    /**
     * scores[0..len) := softmax(scores / scale), with the maximum subtracted before {@link Math#exp} (the Vector
     * kernel has its own, vectorised, with a polynomial exponential; the tests hold both to a float64 softmax).
     */
    public static void softmax(float[] scores, int len, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) {
            scores[j] /= scale;
            max = Math.max(max, scores[j]);
        }
        float sum = 0f;
        for (int j = 0; j < len; j++) {
            float e = (float) Math.exp(scores[j] - max);
            scores[j] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int j = 0; j < len; j++) {
            scores[j] *= inv;
        }
    }
}
