package dev.spruce.cli.pipeline;

import dev.spruce.calib.LayerStats;
import dev.spruce.kernel.Parallel;
import dev.spruce.model.Linear;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.prune.BlockLayer;
import dev.spruce.prune.alloc.LayerCurve;
import dev.spruce.prune.alloc.MeasuredBlockLatency;
import dev.spruce.prune.alloc.ProxyCurves;
import dev.spruce.prune.alloc.SparsityAllocator;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * LPViT-style block pruning of a whole model as the CLI and the demo run it: blocks of {@code blockHeight} x
 * {@code blockWidth}, the sparsity of each Linear allocated across layers (weighted-proxy curves, equal slopes) to
 * remove {@code removed} of the blocks overall, or, with {@code latencyFraction} > 0, to bring the measured kernel
 * time at {@code latencyTokens} tokens down to that fraction of dense; kept blocks refit by least squares unless
 * {@code refit} is off. Pruned layers are packed as {@code BlockSparseLinear}.
 */
public record BlockPlan(int blockHeight, int blockWidth, double removed, double latencyFraction, int latencyTokens,
                        BlockModelPruner.Scope scope, boolean refit, double minKeep) {
    /** Grid of the distortion curves: 0, 0.1, ..., 0.9 (LPViT samples finer; the allocation moves little). */
    static final double GRID_STEP = 0.1;
    static final double GRID_MAX = 0.9;
    /** Sparsity at which each layer's proxy curve is matched to its measured embedding error. */
    static final double PROBE_SPARSITY = 0.5;

    public BlockPlan {
        if (blockHeight < 1 || blockWidth < 1) {
            throw new IllegalArgumentException("block must be positive, got " + blockHeight + "x" + blockWidth);
        }
        if (latencyFraction > 0 ? !(latencyFraction < 1) : !(removed > 0 && removed < 1)) {
            throw new IllegalArgumentException(latencyFraction > 0
                    ? "latency budget must be a fraction of dense time in (0, 1), got " + latencyFraction
                    : "block budget must be a fraction of blocks removed in (0, 1), got " + removed);
        }
        if (!(minKeep >= 0 && minKeep <= 1)) {
            throw new IllegalArgumentException("minimum kept fraction must be in [0, 1], got " + minKeep);
        }
        if (scope == null) {
            throw new IllegalArgumentException("block plan needs a scope");
        }
    }

    /** All Linears, {@code removed} of the blocks overall, refit on, at least 5% of each layer's blocks kept. */
    public static BlockPlan of(int blockHeight, int blockWidth, double removed) {
        return new BlockPlan(blockHeight, blockWidth, removed, 0, 256, BlockModelPruner.Scope.ALL, true, 0.05);
    }

    /** "32x32, 30% of blocks" or "32x32, time <= 0.70 dense". */
    public String label() {
        String budget = latencyFraction > 0
                ? String.format(Locale.ROOT, "time <= %.2f dense @%d tok", latencyFraction, latencyTokens)
                : String.format(Locale.ROOT, "%.0f%% of blocks", 100 * removed);
        return blockHeight + "x" + blockWidth + ", " + budget + (scope == BlockModelPruner.Scope.ALL ? "" : ", FFN+attn out")
                + (refit ? "" : ", no refit");
    }

    /**
     * Analyses, allocates and prunes; {@code probe} are held-out calibration sentences for the curve weights (one
     * forward per layer). Returns the model and per-layer reports in {@link ModelPruner}'s form.
     */
    public ModelPruner.Outcome prune(SentenceEncoder dense, Map<String, LayerStats> stats, List<String> probe, int batch,
                                     Progress progress) {
        if (probe.isEmpty()) {
            throw new IllegalArgumentException("block allocation needs probe sentences");
        }
        long t0 = System.nanoTime();
        BlockModelPruner.Analysis a;
        List<LayerCurve> curves;
        try (Progress.Task t = progress.start("block curves (" + label() + ")", 2)) {
            a = BlockModelPruner.analyse(dense.model(), stats, blockHeight, blockWidth, scope, BlockLayer.DEFAULT_DAMP,
                    Parallel.defaultThreadCount());
            t.stepTo(1, "distortion curves");
            curves = BlockModelPruner.weightedProxyCurves(a,
                    BlockModelPruner.proxyCurves(a, ProxyCurves.grid(GRID_STEP, GRID_MAX), refit), dense, probe, batch,
                    PROBE_SPARSITY, refit);
            t.stepTo(2, "allocated");
        }
        SparsityAllocator.Allocation alloc = latencyFraction > 0
                ? BlockModelPruner.allocate(curves, new MeasuredBlockLatency(), latencyTokens, latencyFraction, minKeep)
                : BlockModelPruner.allocate(curves, removed, minKeep);
        BlockModelPruner.Outcome o = BlockModelPruner.prune(dense, a, BlockModelPruner.sparsities(alloc), refit, true);
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<ModelPruner.LayerReport> reports = new ArrayList<>();
        Map<String, BlockModelPruner.LayerReport> byName = new java.util.HashMap<>();
        o.layers().forEach(r -> byName.put(r.name(), r));
        for (Linear l : o.model().linears()) {
            BlockModelPruner.LayerReport r = byName.get(l.name());
            if (r == null) {
                reports.add(new ModelPruner.LayerReport(l.name(), l.kind(), "dense", l.outFeatures(), l.inFeatures(), 0,
                        Double.NaN, 0));
            } else {
                reports.add(new ModelPruner.LayerReport(l.name(), l.kind(), String.format(Locale.ROOT, "%dx%d @%.0f%%",
                        r.blockHeight(), r.blockWidth(), 100 * r.sparsity()), l.outFeatures(), l.inFeatures(), r.sparsity(),
                        r.relativeLoss(), seconds / o.layers().size()));
            }
        }
        return new ModelPruner.Outcome(o.model(), List.copyOf(reports));
    }
}
