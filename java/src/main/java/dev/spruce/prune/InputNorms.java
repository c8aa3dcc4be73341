package dev.spruce.prune;

/** The squared input norms h<sub>j</sub> = Σ<sub>t</sub> x<sub>t,j</sub><sup>2</sup> as the score-based pruners and ARMOR use them. */
public final class InputNorms {
    private InputNorms() {
    }

    /**
     * A copy of {@code h} with non-finite or non-positive entries replaced by the mean of the others (as the
     * NoWag/ARMOR reference does): a dead input would otherwise make every weight it feeds look free to prune
     * and, in ARMOR's normalised loss, weightless. All entries bad: every entry becomes 1.
     */
    public static double[] sanitize(double[] h) {
        double sum = 0;
        int n = 0;
        for (double v : h) {
            if (Double.isFinite(v) && v > 0) {
                sum += v;
                n++;
            }
        }
        double fill = n > 0 ? sum / n : 1.0;
        double[] out = h.clone();
        for (int j = 0; j < out.length; j++) {
            if (!(Double.isFinite(out[j]) && out[j] > 0)) {
                out[j] = fill;
            }
        }
        return out;
    }
}
