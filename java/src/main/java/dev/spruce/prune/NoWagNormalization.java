package dev.spruce.prune;

/**
 * NoWag's normalisation W = D<sub>r</sub> W̄ D<sub>c</sub>, shared by NoWag-P and ARMOR: columns first,
 * c<sub>j</sub> = ‖W[:, j]‖ + ε, then rows of W / c, r<sub>i</sub> = ‖(W/c)[i, :]‖ + ε, W̄ = W / (r c). The ε is added
 * to each norm (as in the reference), so all-zero rows and columns do not divide by zero.
 *
 * @param normalized W̄, M x K row-major
 * @param rows       r, length M
 * @param cols       c, length K
 */
public record NoWagNormalization(double[] normalized, double[] rows, double[] cols) {
    /** Added to every norm, as in the reference. */
    public static final double EPS = 1e-5;

    public static NoWagNormalization of(double[] w, int m, int k) {
        double[] c = new double[k];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                c[j] += w[i * k + j] * w[i * k + j];
            }
        }
        for (int j = 0; j < k; j++) {
            c[j] = Math.sqrt(c[j]) + EPS;
        }
        double[] wbar = new double[m * k];
        double[] r = new double[m];
        for (int i = 0; i < m; i++) {
            double sq = 0;
            for (int j = 0; j < k; j++) {
                double v = w[i * k + j] / c[j];
                wbar[i * k + j] = v;
                sq += v * v;
            }
            r[i] = Math.sqrt(sq) + EPS;
            for (int j = 0; j < k; j++) {
                wbar[i * k + j] /= r[i];
            }
        }
        return new NoWagNormalization(wbar, r, c);
    }
}
