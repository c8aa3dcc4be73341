package dev.spruce.prune.alloc;

import dev.spruce.prune.BlockLayer;

/**
 * Distortion curves from the layer's own calibration loss: the relative proxy loss
 * ||(W - Ŵ) X||² / ||W X||² of the nested block masks at each grid sparsity, after the least-squares refit
 * (or plain masking). Exact, float64; one Cholesky per block row and grid point, no model forward.
 *
 * <p>Relative losses treat every layer as equally important to the model's output; weight them by a
 * sensitivity ({@link LayerCurve#scaled}) when layers differ (see the MiniLM pipeline).
 */
public final class ProxyCurves {
    private ProxyCurves() {
    }

    /** The grid 0, step, 2 step, ... up to at most {@code max} (< 1). */
    public static double[] grid(double step, double max) {
        if (!(step > 0 && step < 1) || !(max >= 0 && max < 1)) {
            throw new IllegalArgumentException("grid step must be in (0, 1) and max in [0, 1), got " + step + ", " + max);
        }
        int n = (int) Math.floor(max / step + 1e-9) + 1;
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = Math.round(i * step * 1e9) / 1e9;
        }
        return g;
    }

    /** The curve of {@code layer} on {@code grid} (must start at 0). */
    public static LayerCurve of(String name, BlockLayer layer, double[] grid, boolean refit) {
        double[] d = new double[grid.length];
        for (int i = 0; i < grid.length; i++) {
            d[i] = grid[i] == 0 ? 0 : layer.relativeLoss(layer.keep(grid[i]), refit);
        }
        return new LayerCurve(name, layer.rows(), layer.cols(), layer.blockHeight(), layer.blockWidth(), grid, d);
    }
}
