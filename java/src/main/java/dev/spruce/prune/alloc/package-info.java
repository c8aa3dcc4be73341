/**
 * Sparsity allocation across layers for block pruning, as LPViT does it: per-layer distortion-vs-sparsity
 * curves ({@link dev.spruce.prune.alloc.LayerCurve}), one shared slope found by bisection so that the total
 * cost meets a global budget, and a minimum kept fraction per layer
 * ({@link dev.spruce.prune.alloc.SparsityAllocator}).
 *
 * <p><b>Distortion.</b> Any unit shared by all layers. {@link dev.spruce.prune.alloc.ProxyCurves} gives the
 * layer's relative calibration loss after the least-squares refit (exact, cheap, nested masks since the
 * block scores are fixed); the MiniLM pipeline also measures output-space curves (embedding 1 - cos with
 * only that layer pruned), which is what reaches the fidelity target.
 *
 * <p><b>Budget.</b> {@link dev.spruce.prune.alloc.LayerCost#keptWeights()} is LPViT's FLOP budget (kept
 * blocks times block area, prunable layers only); {@link dev.spruce.prune.alloc.BlockLatency#asCost} is a
 * latency budget, with {@link dev.spruce.prune.alloc.MeasuredBlockLatency} timing this machine's own dense and
 * block-sparse kernels per layer shape and sparsity (sparsity 0 = the layer stays dense, so a layer stays dense
 * wherever the sparse kernel would be slower).
 *
 * <p><b>Power term.</b> {@link dev.spruce.prune.alloc.PowerTerm} reproduces LPViT's released
 * P(p) = p x blocks x floor(in/16), including its sign question (it counts pruned blocks, which makes wide
 * layers pruned less), and offers the surviving-blocks reading as the alternative.
 */
package dev.spruce.prune.alloc;
