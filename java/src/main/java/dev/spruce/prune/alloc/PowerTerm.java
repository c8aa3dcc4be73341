package dev.spruce.prune.alloc;

import java.util.ArrayList;
import java.util.List;

/**
 * LPViT's power term, as its released code has it: each layer's distortion curve gets β P<sub>l</sub>(p) added,
 * with P<sub>l</sub>(p) = p x blocks<sub>l</sub> x floor(in<sub>l</sub> / 16) ("16" reads like a hardware vector
 * width) and β normalised to mean<sub>l</sub> max<sub>p</sub> D'<sub>l</sub> / mean<sub>l</sub> max<sub>p</sub> |P'<sub>l</sub>|
 * (any non-zero setting of the code's λ_power switches the term on and is then replaced by this ratio; here
 * {@code weight} multiplies it, 1 = the released behaviour).
 *
 * <p><b>The sign question.</b> P is linear in p, so the term only shifts each layer's slope by the constant
 * β x blocks x floor(in / 16). The code names the first factor "surviving blocks" but p is the <i>pruned</i>
 * fraction, so P grows with pruning: under equal slopes, large and wide layers then look <i>more</i> costly to
 * prune and are pruned <b>less</b>, the opposite of cutting power. {@link Sign#PRUNED_AS_RELEASED} reproduces
 * the code; {@link Sign#SURVIVING} uses (1 - p), which rewards pruning big layers, as the stated goal suggests.
 * Measured latency ({@link BlockLatency}) is the better-founded way to make the allocation hardware-aware.
 */
public final class PowerTerm {

    /** Which block count P counts. */
    public enum Sign {
        /** P = p x blocks x floor(in/16): pruned blocks, as LPViT's code computes it. */
        PRUNED_AS_RELEASED,
        /** P = (1 - p) x blocks x floor(in/16): surviving blocks, as the code's variable name says. */
        SURVIVING
    }

    private PowerTerm() {
    }

    /** P<sub>l</sub> on the curve's grid. */
    static double[] power(LayerCurve c, Sign sign) {
        double[] p = new double[c.points()];
        double unit = (double) c.blocks() * Math.floorDiv(c.cols(), 16);
        for (int i = 0; i < p.length; i++) {
            double s = c.sparsity()[i];
            p[i] = (sign == Sign.PRUNED_AS_RELEASED ? s : 1 - s) * unit;
        }
        return p;
    }

    /** The curves with β P added (β normalised as above, times {@code weight} >= 0). */
    public static List<LayerCurve> apply(List<LayerCurve> curves, Sign sign, double weight) {
        if (!(weight >= 0 && Double.isFinite(weight))) {
            throw new IllegalArgumentException("power weight must be finite and >= 0, got " + weight);
        }
        double sumD = 0;
        double sumP = 0;
        List<double[]> powers = new ArrayList<>();
        for (LayerCurve c : curves) {
            double[] p = power(c, sign);
            powers.add(p);
            sumD += maxSlope(c.sparsity(), c.distortion());
            sumP += maxSlope(c.sparsity(), p);
        }
        double beta = sumP > 0 ? weight * sumD / sumP : 0;
        List<LayerCurve> out = new ArrayList<>();
        for (int l = 0; l < curves.size(); l++) {
            LayerCurve c = curves.get(l);
            double[] d = c.distortion().clone();
            double[] p = powers.get(l);
            for (int i = 0; i < d.length; i++) {
                d[i] += beta * p[i];
            }
            out.add(c.withDistortion(d));
        }
        return out;
    }

    /** Largest |forward difference| of y over x (0 for a single point). */
    static double maxSlope(double[] x, double[] y) {
        double m = 0;
        for (int i = 1; i < x.length; i++) {
            m = Math.max(m, Math.abs((y[i] - y[i - 1]) / (x[i] - x[i - 1])));
        }
        return m;
    }
}
