/**
 * Post-training pruning of one linear layer to a {@link dev.spruce.prune.Pattern} (N:M such as 2:4,
 * or unstructured): {@link dev.spruce.prune.MagnitudePruner}, {@link dev.spruce.prune.WandaPruner},
 * {@link dev.spruce.prune.NoWagPruner} (NoWag-P) and {@link dev.spruce.prune.SparseGptPruner}; and to
 * LPViT blocks ({@link dev.spruce.prune.Pattern.Block}) with {@link dev.spruce.prune.BlockPruner} (block score,
 * least-squares refit of the kept blocks; {@link dev.spruce.prune.BlockLayer} holds one layer's problem).
 * Sparsity across layers: {@link dev.spruce.prune.alloc}.
 *
 * <pre>{@code
 * try (PruneResult r = new SparseGptPruner().prune(weights, stats, Pattern.TWO_FOUR)) {
 *     Matrix pruned = r.weights();              // dense F32, 2 of every 4 kept
 *     double rel = r.relativeLoss().orElseThrow(); // ||(W - Ŵ)X||² / ||WX||²
 * }
 * }</pre>
 *
 * Ties between equal scores are broken the same way everywhere: the lower index is kept.
 */
package dev.spruce.prune;
