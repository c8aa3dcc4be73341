package dev.spruce.prune.alloc;

import java.util.Arrays;

/**
 * One layer's distortion-vs-sparsity curve on a grid (LPViT's "rd curve"): {@code distortion[i]} is what
 * removing the fraction {@code sparsity[i]} of the layer's blocks costs in quality, in any unit shared by
 * all layers of an allocation (relative proxy loss after refit, output-space error, ...). The grid must
 * start at 0 (the layer kept dense) and increase strictly; distortions must be finite. Because block
 * masks are nested in the sparsity, a grid point stands for one mask, so the allocator only ever picks
 * grid points.
 */
public record LayerCurve(String name, int rows, int cols, int blockHeight, int blockWidth, double[] sparsity,
                         double[] distortion) {

    public LayerCurve {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("curve needs a layer name");
        }
        if (rows < 1 || cols < 1 || blockHeight < 1 || blockWidth < 1 || rows % blockHeight != 0 || cols % blockWidth != 0) {
            throw new IllegalArgumentException("layer " + name + ": " + blockHeight + "x" + blockWidth
                    + " blocks do not tile " + rows + "x" + cols);
        }
        if (sparsity == null || distortion == null || sparsity.length == 0 || sparsity.length != distortion.length) {
            throw new IllegalArgumentException("layer " + name + ": sparsity and distortion grids must be non-empty and"
                    + " of equal length");
        }
        if (sparsity[0] != 0.0) {
            throw new IllegalArgumentException("layer " + name + ": the grid must start at sparsity 0, got " + sparsity[0]);
        }
        for (int i = 0; i < sparsity.length; i++) {
            if (!(sparsity[i] >= 0 && sparsity[i] < 1) || (i > 0 && !(sparsity[i] > sparsity[i - 1]))) {
                throw new IllegalArgumentException("layer " + name + ": sparsities must increase strictly inside [0, 1),"
                        + " got " + Arrays.toString(sparsity));
            }
            if (!Double.isFinite(distortion[i])) {
                throw new IllegalArgumentException("layer " + name + ": distortion at sparsity " + sparsity[i] + " is "
                        + distortion[i]);
            }
        }
        sparsity = sparsity.clone();
        distortion = distortion.clone();
    }

    public int points() {
        return sparsity.length;
    }

    public int blocks() {
        return (rows / blockHeight) * (cols / blockWidth);
    }

    /** The same layer with {@code distortion[i] * factor} (for sensitivity weighting). */
    public LayerCurve scaled(double factor) {
        if (!(factor >= 0 && Double.isFinite(factor))) {
            throw new IllegalArgumentException("layer " + name + ": scale must be finite and >= 0, got " + factor);
        }
        double[] d = distortion.clone();
        for (int i = 0; i < d.length; i++) {
            d[i] *= factor;
        }
        return new LayerCurve(name, rows, cols, blockHeight, blockWidth, sparsity, d);
    }

    /** The same layer with another distortion grid. */
    public LayerCurve withDistortion(double[] d) {
        return new LayerCurve(name, rows, cols, blockHeight, blockWidth, sparsity, d);
    }
}
