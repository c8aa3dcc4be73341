package dev.spruce.cli;

import dev.spruce.cli.pipeline.BlockPlan;
import dev.spruce.cli.pipeline.Demo;
import dev.spruce.cli.pipeline.DemoTable;
import dev.spruce.cli.pipeline.HtmlReport;
import dev.spruce.cli.pipeline.Method;
import dev.spruce.cli.pipeline.PrunePlan;
import dev.spruce.cli.pipeline.Sparsity;
import dev.spruce.cli.pipeline.Progress;
import dev.spruce.cli.pipeline.TerminalProgress;
import dev.spruce.prune.armor.ArmorConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code spruce demo}: the README's main job. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Prune the embedded all-MiniLM-L6-v2 with every method (magnitude, Wanda, NoWag-P, SparseGPT, "
                + "ARMOR; 2:4 on all Linear layers, plus the best mask pruner with attention kept dense) and LPViT block sparsity "
                + "at 30%% and 50%% of the blocks (allocated across layers, refit), measure fidelity on the "
                + "evaluation split and sentences/s of dense Java, sparse Java and ONNX Runtime at batch 1 and 32, "
                + "print one table and write an HTML report."})
public final class DemoCommand implements Callable<Integer> {
    /** Held-out calibration sentences that weight the block-sparsity distortion curves (one forward per layer). */
    static final int PROBE_SENTENCES = 64;

    @Mixin
    ModelOptions model = new ModelOptions();
    @Mixin
    CorpusOptions corpus = new CorpusOptions();
    @Mixin
    EvalOptions evalOptions = new EvalOptions();

    @Option(names = "--methods", split = ",", paramLabel = "METHOD",
            description = "Methods to run (default: all: magnitude, wanda, nowag, sparsegpt, armor, lpvit; lpvit "
                    + "adds one row per --block-budgets entry).")
    List<String> methods = new ArrayList<>();

    @Option(names = "--armor-block-sizes", split = ",", paramLabel = "BS", defaultValue = "0",
            description = "ARMOR wrapper block sizes, one demo row each; 0 = chosen per layer from the 25%% cost budget "
                    + "(default: ${DEFAULT-VALUE}).")
    List<Integer> armorBlockSizes;

    @Option(names = "--block-budgets", split = ",", paramLabel = "FRACTION", defaultValue = "0.3,0.5",
            description = "LPViT block-sparsity rows: fractions of 32x32 blocks removed overall, allocated across layers "
                    + "with least-squares refit; 0 = none (default: ${DEFAULT-VALUE}).")
    List<Double> blockBudgets;

    @Option(names = "--block", paramLabel = "HxW", defaultValue = "32x32",
            description = "Block shape of the block-sparsity rows (default: ${DEFAULT-VALUE}).")
    String block;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "3",
            description = "Timed seconds per speed measurement, after a third of that in warm-up; 0 skips timing "
                    + "(default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--report", paramLabel = "FILE", defaultValue = "reports/demo.html",
            description = "HTML report to write (default: ${DEFAULT-VALUE}).")
    Path report;

    @Option(names = {"-q", "--quiet"}, description = "No progress bars.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        List<PrunePlan> plans = new ArrayList<>();
        List<Method> ms = new ArrayList<>();
        for (String m : methods.isEmpty() ? List.of("magnitude", "wanda", "nowag", "sparsegpt", "armor") : methods) {
            Method p = Method.parse(m);
            if (ms.contains(p)) {
                continue;
            }
            ms.add(p);
            if (p.blocks()) {
                continue; // its rows come from --block-budgets
            }
            if (p.factorizes()) {
                for (int bs : armorBlockSizes) {
                    plans.add(PrunePlan.uniform(p, Sparsity.parse("2:4")).withArmor(ArmorConfig.defaults().withBlockSize(bs)));
                }
            } else {
                plans.add(PrunePlan.uniform(p, Sparsity.parse("2:4")));
            }
        }
        if (!(seconds >= 0)) {
            throw new IllegalArgumentException("--seconds must be >= 0, got " + seconds);
        }
        int[] hw = PlanOptions.blockShape(block);
        List<BlockPlan> blockPlans = new ArrayList<>();
        for (double b : methods.isEmpty() || ms.contains(Method.LPVIT) ? blockBudgets : List.<Double>of()) {
            if (b != 0) {
                blockPlans.add(BlockPlan.of(hw[0], hw[1], b));
            }
        }
        Demo.Settings s = new Demo.Settings(corpus.calibration(), evalOptions.evaluation(), corpus.batch(), List.of(1, 32),
                Math.max(0.5, seconds / 3), seconds, corpus.probe(PROBE_SENTENCES));
        Progress progress = quiet ? Progress.none() : new TerminalProgress(System.err);
        Demo.Result r = Demo.run(model.source(), plans, blockPlans, s, progress, System.err);
        System.out.printf(Locale.ROOT, "%nSpruce demo: %s, %d calibration / %d evaluation sentences; %s%n%n", r.model(),
                s.calibration().size(), s.evaluation().size(), r.machine());
        System.out.print(DemoTable.text(r));
        HtmlReport.write(r, report);
        System.out.printf(Locale.ROOT, "%nreport: %s  (%.0f s)%n", report.toAbsolutePath(), r.seconds());
        return 0;
    }
}
