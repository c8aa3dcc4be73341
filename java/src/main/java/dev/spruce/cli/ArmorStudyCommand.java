package dev.spruce.cli;

import dev.spruce.calib.LayerStats;
import dev.spruce.cli.pipeline.Fidelity;
import dev.spruce.cli.pipeline.Method;
import dev.spruce.cli.pipeline.ModelPruner;
import dev.spruce.cli.pipeline.Progress;
import dev.spruce.cli.pipeline.PrunePlan;
import dev.spruce.cli.pipeline.Sparsity;
import dev.spruce.cli.pipeline.TerminalProgress;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.prune.armor.ArmorConfig;
import dev.spruce.prune.armor.ArmorLoss;
import dev.spruce.prune.armor.ArmorStart;
import dev.spruce.prune.armor.BlockSizePolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code spruce armor-study}: ARMOR's variants side by side on one calibration of the model: the paper's
 * algorithm, each of the two departures alone and together, at several block sizes, next to the mask pruners.
 */
@Command(name = "armor-study", mixinStandardHelpOptions = true,
        description = {"Compares ARMOR variants (start: nowag|sparsegpt; loss: diagonal|gram) and wrapper block sizes on "
                + "one calibration of the model, next to magnitude, Wanda, NoWag-P and SparseGPT 2:4: mean relative "
                + "layer loss ||(W-What)X||^2/||WX||^2, embedding cosine to the dense model, factorisation time."})
public final class ArmorStudyCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model = new ModelOptions();
    @Mixin
    CorpusOptions corpus = new CorpusOptions();
    @Mixin
    EvalOptions evalOptions = new EvalOptions();

    @Option(names = "--variants", split = ",", paramLabel = "START/LOSS",
            defaultValue = "nowag/diagonal,nowag/gram,sparsegpt/diagonal,sparsegpt/gram",
            description = "ARMOR variants as start/loss, with /fixed to keep the starting mask (default: ${DEFAULT-VALUE}).")
    List<String> variants;

    @Option(names = "--block-sizes", split = ",", paramLabel = "BS", defaultValue = "0",
            description = "Wrapper block sizes to try for every variant; 0 = from the cost budget (default: ${DEFAULT-VALUE}).")
    List<Integer> blockSizes;

    @Option(names = "--iterations", paramLabel = "N", description = "Iterations per layer (default: ARMOR's default).")
    Integer iterations;

    @Option(names = "--lr", paramLabel = "LR", description = "Adam learning rate for every variant (default: each variant's).")
    Double lr;

    @Option(names = "--no-baselines", description = "Skip the magnitude, Wanda, NoWag-P and SparseGPT 2:4 rows.")
    boolean noBaselines;

    @Option(names = "--markdown", paramLabel = "FILE", description = "Also write the table as Markdown.")
    Path markdown;

    @Option(names = {"-q", "--quiet"}, description = "No progress bars.")
    boolean quiet;

    record Row(String method, String blocks, double overhead, double loss, Fidelity f, double seconds) {
    }

    @Override
    public Integer call() throws Exception {
        PrintStream o = System.out;
        Progress progress = quiet ? Progress.none() : new TerminalProgress(System.err);
        List<PrunePlan> plans = new ArrayList<>();
        if (!noBaselines) {
            for (Method m : List.of(Method.MAGNITUDE, Method.WANDA, Method.NOWAG, Method.SPARSEGPT)) {
                plans.add(PrunePlan.uniform(m, Sparsity.parse("2:4")));
            }
        }
        for (String v : variants) {
            String[] p = v.split("/");
            if (p.length < 2 || p.length > 3 || (p.length == 3 && !p[2].equals("fixed"))) {
                throw new IllegalArgumentException("--variants entries are start/loss[/fixed], e.g. sparsegpt/gram or "
                        + "sparsegpt/gram/fixed (mask kept); got '" + v + "'");
            }
            ArmorStart start = ArmorStart.parse(p[0]);
            ArmorLoss loss = ArmorLoss.parse(p[1]);
            ArmorConfig base = start == ArmorStart.NOWAG && loss == ArmorLoss.DIAGONAL ? ArmorConfig.faithful()
                    : ArmorConfig.defaults().withStart(start).withLoss(loss);
            base = base.withDiscreteSteps(p.length == 2);
            if (iterations != null) {
                base = base.withIterations(iterations);
            }
            if (lr != null) {
                base = base.withLearningRate(lr);
            }
            for (int bs : blockSizes) {
                plans.add(PrunePlan.uniform(Method.ARMOR, Sparsity.parse("2:4")).withArmor(base.withBlockSize(bs)));
            }
        }
        List<Row> rows = new ArrayList<>();
        try (SentenceEncoder dense = model.source().load()) {
            List<String> eval = evalOptions.evaluation();
            Map<String, LayerStats> stats = ModelPruner.calibrate(dense, corpus.calibration(), corpus.batch(), progress);
            float[][] ref = dense.embed(eval, corpus.batch());
            for (PrunePlan plan : plans) {
                long t0 = System.nanoTime();
                ModelPruner.Outcome out = ModelPruner.prune(dense.model(), stats, plan, progress);
                double seconds = (System.nanoTime() - t0) / 1e9;
                try (SentenceEncoder pruned = dense.with(out.model())) {
                    Fidelity f = Fidelity.compare(ref, pruned.embed(eval, corpus.batch()));
                    String blocks = plan.method() == Method.ARMOR ? blockSizes(out, plan) : "-";
                    double overhead = plan.method() == Method.ARMOR ? overhead(out, plan) : 0;
                    Row r = new Row(plan.label(), blocks, overhead, out.meanLoss(), f, seconds);
                    rows.add(r);
                    o.printf(Locale.ROOT, "%-58s %-12s %5.1f%% loss %.5f cosine %.4f (worst %.4f) %.1f s%n", r.method(),
                            r.blocks(), 100 * r.overhead(), r.loss(), f.meanCosine(), f.worstCosine(), seconds);
                }
            }
        }
        if (markdown != null) {
            StringBuilder sb = new StringBuilder("| method | wrapper blocks | wrapper MACs vs 2:4 core | mean layer loss | "
                    + "cosine mean | cosine worst | seconds |\n|---|---|---|---|---|---|---|\n");
            for (Row r : rows) {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.4f | %.4f | %.4f | %.0f |%n", r.method(), r.blocks(),
                        r.overhead() == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * r.overhead()), r.loss(),
                        r.f().meanCosine(), r.f().worstCosine(), r.seconds()));
            }
            Files.writeString(markdown, sb.toString());
        }
        return 0;
    }

    /** The distinct block sizes the layers got (as the factoriser's policy chose them), e.g. "16, 32". */
    private static String blockSizes(ModelPruner.Outcome out, PrunePlan plan) {
        return out.layers().stream().filter(ModelPruner.LayerReport::pruned)
                .map(r -> BlockSizePolicy.choose(r.rows(), r.cols(), plan.armor())).flatMap(z -> java.util.stream.Stream.of(z.a(), z.b())).distinct().sorted()
                .map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("-");
    }

    /** Wrapper multiply-adds over the 2:4 cores' multiply-adds, summed over the pruned layers. */
    private static double overhead(ModelPruner.Outcome out, PrunePlan plan) {
        double wrap = 0;
        double core = 0;
        for (ModelPruner.LayerReport r : out.layers()) {
            if (r.pruned()) {
                BlockSizePolicy.Sizes z = BlockSizePolicy.choose(r.rows(), r.cols(), plan.armor());
                wrap += (double) z.a() * r.rows() + (double) z.b() * r.cols();
                core += r.rows() * (double) r.cols() / 2;
            }
        }
        return core == 0 ? 0 : wrap / core;
    }
}
