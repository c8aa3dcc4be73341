package dev.spruce.cli.pipeline;

import dev.spruce.calib.LayerStats;
import dev.spruce.model.BertModel;
import dev.spruce.model.Calibrator;
import dev.spruce.model.ArmorLinear;
import dev.spruce.model.DenseLinear;
import dev.spruce.model.Linear;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.model.Sparse24Linear;
import dev.spruce.prune.PruneResult;
import dev.spruce.prune.Pruner;
import dev.spruce.prune.armor.ArmorFactors;
import dev.spruce.tensor.DType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Calibrates a dense model on real text and prunes its Linears by a {@link PrunePlan}.
 *
 * <p>Layers pruned to exactly 2:4 become {@link Sparse24Linear} (the packed layout the kernels run); ARMOR's
 * become {@link ArmorLinear} (2:4 core between block-diagonal wrappers); other N:M patterns have no packed layout
 * yet, so those layers stay {@link DenseLinear} holding the zeros: their fidelity is real, their speed is dense.
 */
public final class ModelPruner {

    /** What happened to one Linear. {@code relativeLoss} is NaN for layers kept dense. */
    public record LayerReport(String name, String layout, String sparsity, int rows, int cols, double zeroFraction,
                              double relativeLoss, double seconds) {
        public boolean pruned() {
            return !sparsity.equals("dense");
        }
    }

    /** The pruned model (the caller closes it; it shares embeddings and dense layers with the input) and the per-layer reports. */
    public record Outcome(BertModel model, List<LayerReport> layers) {
        public long prunedCount() {
            return layers.stream().filter(LayerReport::pruned).count();
        }

        /** Mean relative proxy loss over the pruned layers (NaN if none). */
        public double meanLoss() {
            return layers.stream().filter(LayerReport::pruned).mapToDouble(LayerReport::relativeLoss)
                    .filter(d -> !Double.isNaN(d)).average()
                    .orElse(Double.NaN);
        }
    }

    private ModelPruner() {
    }

    /** Fails with the first layer whose shape the plan's pattern cannot take (before any costly work). */
    public static void checkPlan(BertModel model, PrunePlan plan) {
        if (plan.method().blocks()) {
            throw new IllegalArgumentException("method " + plan.method().id() + " allocates block sparsity across the "
                    + "model; run it through BlockPlan");
        }
        for (Linear l : model.linears()) {
            Sparsity s = plan.sparsityFor(l.name());
            if (s.dense()) {
                continue;
            }
            if (!(l instanceof DenseLinear)) {
                throw new IllegalArgumentException("layer " + l.name() + " is already " + l.kind()
                        + "; pruning starts from a dense model");
            }
            if (plan.method().factorizes() && !s.packs24()) {
                throw new IllegalArgumentException("layer " + l.name() + " is planned " + s + ", but ARMOR factorises "
                        + "around a 2:4 core only (use 2:4 or dense)");
            }
            try {
                s.pattern().checkShape(l.outFeatures(), l.inFeatures());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer " + l.name() + " cannot take " + s + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Runs {@code sentences} through the dense model, collecting each Linear's full input Gram matrix (the
     * pruners that need less take what they need from it; the proxy loss needs all of it).
     */
    public static Map<String, LayerStats> calibrate(SentenceEncoder dense, List<String> sentences, int batchSize,
                                                    Progress progress) {
        if (sentences.isEmpty()) {
            throw new IllegalArgumentException("the calibration corpus is empty");
        }
        try (Progress.Task t = progress.start("calibrating", sentences.size())) {
            return Calibrator.collect(dense, sentences, true, batchSize, n -> t.stepTo(n, n + " sentences"));
        }
    }

    /** Prunes every Linear the plan does not keep dense; one progress step per layer. */
    public static Outcome prune(BertModel dense, Map<String, LayerStats> stats, PrunePlan plan, Progress progress) {
        checkPlan(dense, plan);
        Pruner pruner = plan.method().factorizes() ? null : plan.method().pruner();
        List<LayerReport> reports = new ArrayList<>();
        Set<Linear> created = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Linear> all = dense.linears();
        Map<String, ArmorFactors> factors = plan.method().factorizes()
                ? ArmorRunner.factorizeAll(all, stats, plan, progress) : Map.of();
        try (Progress.Task t = progress.start("pruning (" + plan.method().id() + ")", all.size())) {
            int[] done = {0};
            BertModel out = dense.withLinears(l -> {
                Linear r = pruneOne(l, stats, plan, pruner, factors, reports);
                if (r != l) {
                    created.add(r);
                }
                t.stepTo(++done[0], l.name());
                return r;
            });
            return new Outcome(out, List.copyOf(reports));
        } catch (RuntimeException e) {
            created.forEach(Linear::close);
            throw e;
        }
    }

    private static Linear pruneOne(Linear l, Map<String, LayerStats> stats, PrunePlan plan, Pruner pruner,
                                   Map<String, ArmorFactors> factors, List<LayerReport> reports) {
        Sparsity s = plan.sparsityFor(l.name());
        if (s.dense()) {
            reports.add(new LayerReport(l.name(), l.kind(), "dense", l.outFeatures(), l.inFeatures(), 0, Double.NaN, 0));
            return l;
        }
        DenseLinear d = (DenseLinear) l;
        LayerStats st = stats.get(l.name());
        if (pruner == null) {
            return factorized(d, factors.get(l.name()), s, reports);
        }
        if (st == null && pruner.needs() != Pruner.Needs.NOTHING) {
            throw new IllegalArgumentException("no calibration statistics for layer " + l.name());
        }
        long t0 = System.nanoTime();
        PruneResult r = pruner.prune(d.weight(), st, s.pattern());
        double seconds = (System.nanoTime() - t0) / 1e9;
        double loss = r.relativeLoss().orElse(Double.NaN);
        double zeros = r.mask().sparsity();
        Linear replacement;
        if (s.packs24()) {
            try (r) {
                replacement = Sparse24Linear.pack(l.name(), r.weights(), d.bias(), DType.F32);
            }
        } else {
            // No packed N:M layout other than 2:4: the layer keeps the pruned zeros in dense storage (owns r's matrix).
            replacement = new DenseLinear(l.name(), r.weights(), d.bias(), d.backend());
        }
        reports.add(new LayerReport(l.name(), replacement.kind(), s.toString(), l.outFeatures(), l.inFeatures(),
                zeros, loss, seconds));
        return replacement;
    }

    /** ARMOR: Ŵ = A·S·B with a 2:4 core S; the report's loss is ‖(W−Ŵ)X‖²/‖WX‖² of the float32 factors. */
    private static Linear factorized(DenseLinear d, ArmorFactors f, Sparsity s, List<LayerReport> reports) {
        Linear replacement = new ArmorLinear(d.name(), f.toLayout(DType.F32, d.bias()));
        reports.add(new LayerReport(d.name(), replacement.kind() + " (bs " + f.blockSizes().a() + "/"
                + f.blockSizes().b() + ")", s.toString(), d.outFeatures(), d.inFeatures(), 0.5,
                f.relativeLoss().orElse(Double.NaN), f.seconds()));
        return replacement;
    }
}
