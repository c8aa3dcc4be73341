package dev.spruce.prune.alloc;

/**
 * What a layer costs at a sparsity, in the budget's unit: kept blocks (a FLOP budget, as LPViT's code
 * uses) or seconds of the kernel that will run it ({@link BlockLatency#asCost}).
 */
@FunctionalInterface
public interface LayerCost {

    /** Cost of {@code curve}'s layer with the fraction {@code sparsity} of its blocks removed; finite, >= 0. */
    double cost(LayerCurve curve, double sparsity);

    /** Kept blocks times block area: multiply-adds per token, LPViT's FLOP budget (prunable layers only). */
    static LayerCost keptWeights() {
        return (c, p) -> (double) (c.blocks() - new dev.spruce.prune.Pattern.Block(c.blockHeight(), c.blockWidth(), p)
                .removedBlocks(c.blocks())) * c.blockHeight() * c.blockWidth();
    }
}
