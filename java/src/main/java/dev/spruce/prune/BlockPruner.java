package dev.spruce.prune;

import dev.spruce.calib.LayerStats;

/**
 * LPViT-style block pruning for post-training use: blocks ranked by the block mean of |W ⊙ ∇| with
 * ∇ = 2 W G / n, the layer-local gradient of the label-free output energy (see {@link BlockLayer}), the
 * {@link Pattern.Block#removedBlocks} lowest removed, and the kept blocks refit by damped float64 least
 * squares against the calibration Gram matrix unless refit is switched off. Only {@link Pattern.Block}
 * is accepted.
 *
 * <p>Without fine-tuning (which LPViT's published accuracies rely on) plain block masking wrecks a small
 * model; the refit recovers most of it at the cost of one Cholesky per block row.
 *
 * <p>The result's {@link PruneResult#mask()} is a block mask; {@link #blockKeep(PruneResult)} turns it into
 * the block keep-mask (blockRows x blockCols, row-major) that BlockSparse.fromDense takes.
 */
public final class BlockPruner extends AbstractPruner {
    private final boolean refit;
    private final double damp;

    /** Refit on, damping {@value BlockLayer#DEFAULT_DAMP} x mean(diag G), all default threads. */
    public BlockPruner() {
        this(true, BlockLayer.DEFAULT_DAMP, defaultThreads());
    }

    public BlockPruner(boolean refit) {
        this(refit, BlockLayer.DEFAULT_DAMP, defaultThreads());
    }

    /**
     * @param refit refit the kept blocks by least squares (false: keep W's values, as LPViT before fine-tuning)
     * @param damp  relative damping of the refit, λ = damp x mean(diag G), finite and >= 0
     */
    public BlockPruner(boolean refit, double damp, int threads) {
        super(threads);
        if (!(damp >= 0 && damp < 1e3)) {
            throw new IllegalArgumentException("refit damping must be finite and >= 0, got " + damp);
        }
        this.refit = refit;
        this.damp = damp;
    }

    @Override
    public String name() {
        return refit ? "block+refit" : "block";
    }

    @Override
    public Needs needs() {
        return Needs.GRAM;
    }

    public boolean refit() {
        return refit;
    }

    public double damp() {
        return damp;
    }

    @Override
    void pruneInPlace(double[] w, int m, int k, LayerStats stats, Pattern pattern, boolean[] keep, PhaseTimer timer) {
        if (!(pattern instanceof Pattern.Block b)) {
            throw new IllegalArgumentException(name() + " prunes whole blocks and needs Pattern.Block, got " + pattern);
        }
        timer.start();
        BlockLayer layer = new BlockLayer(w.clone(), m, k, stats.gram(), stats.tokens(), b.blockHeight(), b.blockWidth(),
                damp, threads);
        boolean[] blocks = layer.keep(b.sparsity());
        timer.stop("score");
        timer.start();
        double[] out = layer.pruned(blocks, refit);
        System.arraycopy(out, 0, w, 0, w.length);
        int bc = layer.blockCols();
        for (int i = 0; i < keep.length; i++) {
            int r = i / k;
            int c = i % k;
            keep[i] = blocks[(r / b.blockHeight()) * bc + c / b.blockWidth()];
        }
        timer.stop(refit ? "refit" : "mask");
    }

    /** The block keep-mask (blockRows x blockCols, row-major, true = kept) of a block pruner's result. */
    public static boolean[] blockKeep(PruneResult result) {
        if (!(result.pattern() instanceof Pattern.Block b)) {
            throw new IllegalArgumentException("result of " + result.pruner() + " has pattern " + result.pattern()
                    + ", not a block pattern");
        }
        return result.mask().blockKeep(b.blockHeight(), b.blockWidth());
    }
}
