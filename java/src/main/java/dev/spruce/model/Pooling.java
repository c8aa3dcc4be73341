package dev.spruce.model;

import java.util.Locale;

/**
 * How a sentence embedding is made from an encoder's last hidden states, followed in both cases by L2
 * normalisation. Which one a model needs is a property of how it was trained, not of its ONNX graph (which
 * ends at the hidden states), so the user names it: sentence-transformers models such as all-MiniLM-L6-v2
 * and e5 average the tokens; BGE models take the [CLS] token.
 */
public enum Pooling {
    /** Mean over the sentence's real tokens (padding excluded). */
    MEAN,
    /** The first token ([CLS]). */
    CLS;

    /** "mean" or "cls" (any case). */
    public static Pooling parse(String s) {
        for (Pooling p : values()) {
            if (p.label().equalsIgnoreCase(s.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown pooling '" + s + "' (expected mean or cls)");
    }

    /** The name used on the command line and in packed model files. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The L2-normalised embedding of one sentence whose {@code len} real tokens are rows {@code first ..
     * first+len-1} of {@code hidden} (row-major, {@code hid} columns).
     */
    public float[] embed(float[] hidden, int first, int len, int hid) {
        if (len < 1) {
            throw new IllegalArgumentException("a sentence needs at least one token");
        }
        float[] e = new float[hid];
        if (this == CLS) {
            System.arraycopy(hidden, first * hid, e, 0, hid);
        } else {
            for (int t = 0; t < len; t++) {
                int base = (first + t) * hid;
                for (int c = 0; c < hid; c++) {
                    e[c] += hidden[base + c];
                }
            }
            for (int c = 0; c < hid; c++) {
                e[c] /= len;
            }
        }
        return normalize(e);
    }

    /** Scales {@code e} to unit L2 norm in place (a zero vector stays zero) and returns it. */
    private static float[] normalize(float[] e) {
        double norm = 0;
        for (float v : e) {
            norm += (double) v * v;
        }
        float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
        for (int c = 0; c < e.length; c++) {
            e[c] *= inv;
        }
        return e;
    }
}
