package dev.spruce.cli.pipeline;

import dev.spruce.calib.LayerStats;
import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.linalg.LinAlg;
import dev.spruce.model.DenseLinear;
import dev.spruce.model.Linear;
import dev.spruce.model.ArmorLinear;
import dev.spruce.model.Sparse24Linear;
import dev.spruce.prune.ProxyLoss;
import dev.spruce.tensor.Matrix;

/**
 * The relative proxy loss ||(W - Ŵ) X||<sup>2</sup> / ||W X||<sup>2</sup> of a stored layer against its dense
 * original, from the calibration Gram matrix (used when a packed file is evaluated: the pruner's own
 * figures are not in the file).
 */
public final class LayerLoss {
    private LayerLoss() {
    }

    /** The weights of a Linear as float64 (out x in), whatever its layout. */
    static double[] weights(Linear l) {
        float[] f = weightsF32(l);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** The weights of a Linear (out x in, zeros where pruned), whatever its layout. */
    static float[] weightsF32(Linear l) {
        Matrix m = switch (l) {
            case DenseLinear d -> d.weight();
            case Sparse24Linear s -> s.weight().toDense();
            case ArmorLinear a -> a.layout().toDense();
            default -> throw new IllegalArgumentException("layer " + l.name() + ": cannot read " + l.kind() + " weights");
        };
        try {
            return m.toFloatArray();
        } finally {
            if (!(l instanceof DenseLinear)) {
                m.close();
            }
        }
    }

    /** Fraction of zero weights of a layer (for ARMOR: of its 2:4 core; the product A·S·B is dense). */
    public static double zeroFraction(Linear l) {
        if (l instanceof ArmorLinear a) {
            try (Matrix core = a.layout().core().toDense()) {
                return zeros(core.toFloatArray());
            }
        }
        return zeros(weightsF32(l));
    }

    private static double zeros(float[] w) {
        long z = 0;
        for (float v : w) {
            if (v == 0) {
                z++;
            }
        }
        return (double) z / w.length;
    }

    public static double relative(Linear dense, Linear pruned, LayerStats stats) {
        if (dense.inFeatures() != pruned.inFeatures() || dense.outFeatures() != pruned.outFeatures()) {
            throw new IllegalArgumentException("layer " + pruned.name() + " is " + pruned.outFeatures() + "x"
                    + pruned.inFeatures() + " but the dense model's is " + dense.outFeatures() + "x" + dense.inFeatures());
        }
        if (!stats.hasGram() || stats.k() != dense.inFeatures()) {
            throw new IllegalArgumentException("layer " + dense.name() + ": calibration statistics do not fit");
        }
        double[] w = weights(dense);
        double[] p = weights(pruned);
        for (int i = 0; i < w.length; i++) {
            p[i] = w[i] - p[i];
        }
        double[] q = ProxyLoss.quadratics(p, w, dense.outFeatures(), dense.inFeatures(), stats.gram(), LinAlg.kernels(),
                Parallel.defaultThreadCount());
        return q[1] == 0 ? 0 : q[0] / q[1];
    }
}
