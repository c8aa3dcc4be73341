package dev.spruce.prune;

import dev.spruce.tensor.Matrix;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * What a {@link Pruner} returns: the pruned weights as a dense float32 matrix (zeros where pruned;
 * kept values may differ from the input when the pruner reconstructs, as SparseGPT does), the mask,
 * and the reconstruction losses on the calibration statistics. Closing the result closes the matrix.
 *
 * <ul>
 *   <li>{@link #proxyLoss()}: ||(W - Ŵ) X||<sup>2</sup> = tr((W-Ŵ) G (W-Ŵ)<sup>T</sup>), present when the statistics
 *       had the full Gram matrix and losses were requested.</li>
 *   <li>{@link #relativeLoss()}: that divided by ||W X||<sup>2</sup> (0 = perfect, 1 = as bad as zeroing the layer).</li>
 *   <li>{@link #diagonalLoss()}: Σ h<sub>j</sub> (W-Ŵ)<sub>ij</sub><sup>2</sup> with h the squared input norms, present with any statistics.</li>
 * </ul>
 */
public final class PruneResult implements AutoCloseable {
    private final String pruner;
    private final Pattern pattern;
    private final Matrix weights;
    private final PruneMask mask;
    private final OptionalDouble proxyLoss;
    private final OptionalDouble relativeLoss;
    private final OptionalDouble diagonalLoss;
    private final Map<String, Double> phaseSeconds;
    private final Map<String, Double> phaseCpuSeconds;

    PruneResult(String pruner, Pattern pattern, Matrix weights, PruneMask mask, OptionalDouble proxyLoss,
                OptionalDouble relativeLoss, OptionalDouble diagonalLoss, Map<String, Double> phaseSeconds,
                Map<String, Double> phaseCpuSeconds) {
        this.pruner = pruner;
        this.pattern = pattern;
        this.weights = weights;
        this.mask = mask;
        this.proxyLoss = proxyLoss;
        this.relativeLoss = relativeLoss;
        this.diagonalLoss = diagonalLoss;
        this.phaseSeconds = Collections.unmodifiableMap(new LinkedHashMap<>(phaseSeconds));
        this.phaseCpuSeconds = Collections.unmodifiableMap(new LinkedHashMap<>(phaseCpuSeconds));
    }

    public String pruner() {
        return pruner;
    }

    public Pattern pattern() {
        return pattern;
    }

    /** Pruned dense weights, float32, same shape as the input. Owned by this result. */
    public Matrix weights() {
        return weights;
    }

    public PruneMask mask() {
        return mask;
    }

    public OptionalDouble proxyLoss() {
        return proxyLoss;
    }

    public OptionalDouble relativeLoss() {
        return relativeLoss;
    }

    public OptionalDouble diagonalLoss() {
        return diagonalLoss;
    }

    /** Wall-clock seconds per phase of the run, in order (for reports and the timing harness). */
    public Map<String, Double> phaseSeconds() {
        return phaseSeconds;
    }

    /** Process CPU seconds per phase (all threads; NaN where the JVM cannot tell), same keys as {@link #phaseSeconds()}. */
    public Map<String, Double> phaseCpuSeconds() {
        return phaseCpuSeconds;
    }

    @Override
    public void close() {
        weights.close();
    }

    @Override
    public String toString() {
        return "PruneResult[" + pruner + ", " + pattern + ", " + weights.shapeString() + ", sparsity "
                + String.format("%.4f", mask.sparsity())
                + (relativeLoss.isPresent() ? String.format(", relative loss %.5g", relativeLoss.getAsDouble()) : "") + "]";
    }
}
