package dev.spruce.cli;

import dev.spruce.calib.LayerStats;
import dev.spruce.cli.pipeline.BlockPlan;
import dev.spruce.cli.pipeline.Fidelity;
import dev.spruce.cli.pipeline.LayerLoss;
import dev.spruce.cli.pipeline.ModelPruner;
import dev.spruce.cli.pipeline.ModelSource;
import dev.spruce.cli.pipeline.PackedModel;
import dev.spruce.cli.pipeline.Progress;
import dev.spruce.cli.pipeline.PrunePlan;
import dev.spruce.cli.pipeline.TerminalProgress;
import dev.spruce.model.Linear;
import dev.spruce.model.SentenceEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code spruce eval}: how close a pruned model stays to the dense one, layer by layer and end to end. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Fidelity report of a packed model file against the dense model it came from (or, without "
                + "FILE, of the model pruned in memory by --method/--pattern/...): per-layer relative proxy loss "
                + "||(W-What)X||^2/||WX||^2 on the calibration text, and on the evaluation split the mean and worst "
                + "cosine of pruned vs dense embeddings, the Spearman correlation of pairwise similarities and the "
                + "top-10 neighbour overlap."})
public final class EvalCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "FILE", description = "Packed model file (from spruce prune).")
    Path file;

    @Mixin
    ModelOptions model = new ModelOptions();
    @Mixin
    PlanOptions planOptions = new PlanOptions();
    @Mixin
    CorpusOptions corpus = new CorpusOptions();
    @Mixin
    EvalOptions evalOptions = new EvalOptions();

    @Option(names = {"-q", "--quiet"}, description = "No progress bars.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        PrintStream o = System.out;
        Progress progress = quiet ? Progress.none() : new TerminalProgress(System.err);
        List<String> calib = corpus.calibration();
        List<String> eval = evalOptions.evaluation();
        PrunePlan plan = file == null ? planOptions.plan() : null;
        ModelSource src = file == null ? model.source() : model.source(PackedModel.pooling(file));
        try (SentenceEncoder dense = src.load()) {
            BlockPlan blocks = plan != null && plan.method().blocks() ? planOptions.blockPlan() : null;
            if (plan != null && blocks == null) {
                ModelPruner.checkPlan(dense.model(), plan);
            }
            // A loaded packed model is handed to 'pruned' below, which closes it.
            SentenceEncoder packed = file == null ? null : PackedModel.load(file);
            Map<String, LayerStats> stats = ModelPruner.calibrate(dense, calib, corpus.batch(), progress);
            ModelPruner.Outcome outcome = blocks != null
                    ? blocks.prune(dense, stats, corpus.probe(DemoCommand.PROBE_SENTENCES), corpus.batch(), progress)
                    : plan != null ? ModelPruner.prune(dense.model(), stats, plan, progress)
                    : compare(dense, packed, stats);
            try (SentenceEncoder pruned = dense.with(outcome.model())) {
                PruneCommand.printLayers(o, outcome);
                Fidelity f = Fidelity.compare(dense.embed(eval, corpus.batch()), pruned.embed(eval, corpus.batch()));
                o.printf(Locale.ROOT, "%s: %d of %d layers pruned, mean relative layer loss %.5f (%d calibration sentences)%n",
                        file != null ? file : blocks != null ? "lpvit " + blocks.label() : plan.label(), outcome.prunedCount(), outcome.layers().size(),
                        outcome.meanLoss(), calib.size());
                o.printf(Locale.ROOT, "on %d evaluation sentences: cosine mean %.5f, worst %.5f; Spearman of pairwise "
                                + "similarities %.5f; top-%d neighbour overlap %.3f%n", f.sentences(), f.meanCosine(),
                        f.worstCosine(), f.spearman(), f.k(), f.topKOverlap());
            }
        }
        return 0;
    }

    /** Per-layer report of a packed model against the dense one (its pruner's own figures are not stored). */
    static ModelPruner.Outcome compare(SentenceEncoder dense, SentenceEncoder packed, Map<String, LayerStats> stats) {
        List<Linear> d = dense.model().linears();
        List<Linear> p = packed.model().linears();
        if (d.size() != p.size() || !dense.model().config().equals(packed.model().config())) {
            throw new IllegalArgumentException("the packed model (" + packed.model().config() + ") was not made from "
                    + "this dense model (" + dense.model().config() + "); pass the original with --model");
        }
        List<ModelPruner.LayerReport> rows = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) {
            Linear pl = p.get(i);
            double zeros = LayerLoss.zeroFraction(pl);
            // Pretrained dense weights have next to no exact zeros; a layer with many was pruned (N:M kept dense).
            boolean pruned = !pl.kind().equals("dense") || zeros >= 0.01;
            double loss = pruned ? LayerLoss.relative(d.get(i), pl, stats.get(d.get(i).name())) : Double.NaN;
            rows.add(new ModelPruner.LayerReport(pl.name(), pl.kind(), pruned ? "pruned" : "dense", pl.outFeatures(),
                    pl.inFeatures(), zeros, loss, 0));
        }
        return new ModelPruner.Outcome(packed.model(), rows);
    }
}
