package dev.spruce.cli;

import dev.spruce.calib.LayerStats;
import dev.spruce.cli.pipeline.BlockPlan;
import dev.spruce.cli.pipeline.ModelPruner;
import dev.spruce.cli.pipeline.ModelSource;
import dev.spruce.cli.pipeline.PackedModel;
import dev.spruce.cli.pipeline.Progress;
import dev.spruce.cli.pipeline.PrunePlan;
import dev.spruce.cli.pipeline.TerminalProgress;
import dev.spruce.model.SentenceEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code spruce prune}: dense model in, packed model file out. */
@Command(name = "prune", mixinStandardHelpOptions = true,
        description = {"Calibrate a model on real text, prune its Linear layers and write a packed model file "
                + "(safetensors: 2:4 layers as Sparse24 values + codes, every other layer dense).",
                "Patterns other than 2:4 have no packed layout yet: those layers are stored dense, zeros included."})
public final class PruneCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model = new ModelOptions();
    @Mixin
    PlanOptions planOptions = new PlanOptions();
    @Mixin
    CorpusOptions corpus = new CorpusOptions();

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Packed model file to write (default: <method>-<pattern>.safetensors).")
    Path output;

    @Option(names = {"-q", "--quiet"}, description = "No progress bars.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        PrunePlan plan = planOptions.plan();
        List<String> calib = corpus.calibration();
        ModelSource src = model.source();
        BlockPlan blocks = plan.method().blocks() ? planOptions.blockPlan() : null;
        String label = blocks != null ? "lpvit " + blocks.label() : plan.label();
        Path out = output != null ? output : Path.of(blocks != null
                ? "lpvit-" + blocks.blockHeight() + "x" + blocks.blockWidth() + ".safetensors"
                : plan.method().id() + "-" + plan.defaultSparsity().toString().replace(":", "of") + ".safetensors");
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException("output " + out + " is a directory");
        }
        PrintStream o = System.out;
        Progress progress = quiet ? Progress.none() : new TerminalProgress(System.err);
        try (SentenceEncoder dense = src.load()) {
            if (blocks == null) {
                ModelPruner.checkPlan(dense.model(), plan);
            }
            Map<String, LayerStats> stats = ModelPruner.calibrate(dense, calib, corpus.batch(), progress);
            ModelPruner.Outcome outcome = blocks != null
                    ? blocks.prune(dense, stats, corpus.probe(DemoCommand.PROBE_SENTENCES), corpus.batch(), progress)
                    : ModelPruner.prune(dense.model(), stats, plan, progress);
            try (SentenceEncoder pruned = dense.with(outcome.model())) {
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("source", src.label());
                meta.put("method", plan.method().id());
                meta.put("plan", label);
                meta.put("calibration_sentences", Integer.toString(calib.size()));
                PackedModel.write(pruned.model(), src.tokenizerRef(), dense.pooling(), meta, out);
            }
            printLayers(o, outcome);
            o.printf(Locale.ROOT, "%s: %d of %d layers pruned (%s), mean relative layer loss %.4f, %d calibration sentences%n",
                    label, outcome.prunedCount(), outcome.layers().size(), plan.method().id(), outcome.meanLoss(),
                    calib.size());
            o.printf(Locale.ROOT, "wrote %s (%.1f MB)%n", out, Files.size(out) / 1e6);
        }
        return 0;
    }

    static void printLayers(PrintStream o, ModelPruner.Outcome outcome) {
        o.printf(Locale.ROOT, "%-45s %-9s %-6s %11s %7s %10s%n", "layer", "layout", "target", "shape", "zeros", "rel. loss");
        for (ModelPruner.LayerReport r : outcome.layers()) {
            o.printf(Locale.ROOT, "%-45s %-9s %-6s %11s %6.1f%% %10s%n", r.name(), r.layout(), r.sparsity(),
                    r.rows() + "x" + r.cols(), 100 * r.zeroFraction(),
                    Double.isNaN(r.relativeLoss()) ? "-" : String.format(Locale.ROOT, "%.5f", r.relativeLoss()));
        }
    }
}
