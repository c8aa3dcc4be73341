package dev.spruce.prune.armor;

/**
 * Hyper-parameters of one {@link ArmorFactorizer} run. Immutable; the {@code with...} methods return changed
 * copies. {@link #defaults()} is the variant that measured best on MiniLM (README, "ARMOR"); {@link #faithful()}
 * is the reference algorithm (NoWag-P start, diagonal loss) with the same block-size policy.
 *
 * @param blockSize     wrapper block size, a power of two; 0 picks it per layer from {@code costBudget}
 *                      ({@link BlockSizePolicy})
 * @param costBudget    with {@code blockSize == 0}: the wrappers' multiply-adds bs·(M+K) may add at most this
 *                      fraction of the 2:4 core's M·K/2
 * @param iterations    maximum block-coordinate-descent iterations (one Adam step + one discrete sweep each)
 * @param learningRate  Adam step size (the reference uses 1e-4)
 * @param patience      iterations without relative progress 1e-6 before stopping early (reference: 100)
 * @param seed          seeds the gradient-weighted group sampling; a run is deterministic for a seed
 * @param loss          which proxy loss is minimised
 * @param start         where the sparse core starts
 * @param discreteSteps whether each iteration also re-selects one 2:4 group per tile (the mask moves)
 * @param threads       worker threads for the products (the project pool)
 */
public record ArmorConfig(int blockSize, double costBudget, int iterations, double learningRate, int patience,
                          long seed, ArmorLoss loss, ArmorStart start, boolean discreteSteps, int threads) {

    /** The largest wrapper block the policy picks (the paper's size). */
    public static final int MAX_BLOCK = 128;

    public ArmorConfig {
        if (blockSize != 0 && (blockSize < 4 || Integer.bitCount(blockSize) != 1)) {
            throw new IllegalArgumentException("ARMOR block size must be 0 (from the cost budget) or a power of two >= 4, got "
                    + blockSize);
        }
        if (!(costBudget > 0) || !Double.isFinite(costBudget)) {
            throw new IllegalArgumentException("ARMOR cost budget must be a positive fraction, got " + costBudget);
        }
        if (iterations < 0) {
            throw new IllegalArgumentException("ARMOR iterations must be >= 0, got " + iterations);
        }
        if (!(learningRate >= 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("ARMOR learning rate must be finite and >= 0, got " + learningRate);
        }
        if (patience < 1) {
            throw new IllegalArgumentException("ARMOR patience must be >= 1, got " + patience);
        }
        if (loss == null || start == null) {
            throw new IllegalArgumentException("ARMOR loss and start must be given");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("ARMOR threads must be >= 1, got " + threads);
        }
    }

    /** The default: SparseGPT start, full-Gram loss, mask re-selection on, 25% cost budget. */
    public static ArmorConfig defaults() {
        return new ArmorConfig(0, 0.25, 300, 2e-4, 100, 0, ArmorLoss.GRAM, ArmorStart.SPARSEGPT, true,
                dev.spruce.kernel.Parallel.defaultThreadCount());
    }

    /** The reference algorithm: NoWag-P start, diagonal (NoWag) loss, Adam lr 1e-4; block size from the budget. */
    public static ArmorConfig faithful() {
        return defaults().withLoss(ArmorLoss.DIAGONAL).withStart(ArmorStart.NOWAG).withLearningRate(1e-4);
    }

    public ArmorConfig withBlockSize(int v) {
        return new ArmorConfig(v, costBudget, iterations, learningRate, patience, seed, loss, start, discreteSteps, threads);
    }

    public ArmorConfig withCostBudget(double v) {
        return new ArmorConfig(blockSize, v, iterations, learningRate, patience, seed, loss, start, discreteSteps, threads);
    }

    public ArmorConfig withIterations(int v) {
        return new ArmorConfig(blockSize, costBudget, v, learningRate, patience, seed, loss, start, discreteSteps, threads);
    }

    public ArmorConfig withLearningRate(double v) {
        return new ArmorConfig(blockSize, costBudget, iterations, v, patience, seed, loss, start, discreteSteps, threads);
    }

    public ArmorConfig withPatience(int v) {
        return new ArmorConfig(blockSize, costBudget, iterations, learningRate, v, seed, loss, start, discreteSteps, threads);
    }

    public ArmorConfig withSeed(long v) {
        return new ArmorConfig(blockSize, costBudget, iterations, learningRate, patience, v, loss, start, discreteSteps, threads);
    }

    public ArmorConfig withLoss(ArmorLoss v) {
        return new ArmorConfig(blockSize, costBudget, iterations, learningRate, patience, seed, v, start, discreteSteps, threads);
    }

    public ArmorConfig withStart(ArmorStart v) {
        return new ArmorConfig(blockSize, costBudget, iterations, learningRate, patience, seed, loss, v, discreteSteps, threads);
    }

    public ArmorConfig withDiscreteSteps(boolean v) {
        return new ArmorConfig(blockSize, costBudget, iterations, learningRate, patience, seed, loss, start, v, threads);
    }

    public ArmorConfig withThreads(int v) {
        return new ArmorConfig(blockSize, costBudget, iterations, learningRate, patience, seed, loss, start, discreteSteps, v);
    }

    /** Short description for reports, e.g. "armor[sparsegpt start, gram loss, bs auto@25%, 300 it]". */
    public String describe() {
        return "armor[" + start.id() + " start, " + loss.id() + " loss, bs "
                + (blockSize == 0 ? "auto@" + Math.round(costBudget * 100) + "%" : String.valueOf(blockSize))
                + ", " + iterations + " it" + (discreteSteps ? "" : ", fixed mask") + "]";
    }
}
