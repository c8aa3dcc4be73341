package dev.spruce.cli.pipeline;

import dev.spruce.calib.LayerStats;
import dev.spruce.kernel.Parallel;
import dev.spruce.model.Corpus;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.prune.alloc.LayerCurve;
import dev.spruce.prune.alloc.MeasuredBlockLatency;
import dev.spruce.prune.alloc.ProxyCurves;
import dev.spruce.prune.alloc.SparsityAllocator;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The MiniLM block-sparsity fidelity table: embedding cosine to the dense model on held-out sentences for
 * uniform vs allocated sparsity, with and without refit, at several overall budgets, for all Linears and for
 * FFN + attention output only. Calibration (Gram matrices) uses the first {@code calib} sentences of the
 * shipped calibration split, the output-error probe the next {@code probe} ones (never the evaluation split),
 * fidelity the first {@code eval} sentences of the evaluation split.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp java/target/classes:DEPS
 * dev.spruce.cli.pipeline.BlockFidelityStudy [key=value ...]} (see {@link #main}); defaults 400 / 128 / 600
 * sentences, 32x32 blocks, budgets 30% and 50%, weighted-proxy distortion. About 15 minutes on two busy cores.
 */
public final class BlockFidelityStudy {

    /** One table row. */
    public record Row(String scope, double budget, String allocation, boolean refit, double removed, double meanLoss,
                      Fidelity fidelity) {
    }

    /** What the study measures. */
    public record Settings(int calib, int probe, int eval, int batch, int blockHeight, int blockWidth, double[] budgets,
                           List<BlockModelPruner.Scope> scopes, List<Boolean> refits, double gridStep, double maxSparsity, double minKeep,
                           BlockModelPruner.Distortion distortion, double latencyFraction, int latencyTokens) {
    }

    private BlockFidelityStudy() {
    }

    /**
     * Arguments as key=value: calib=400 probe=128 eval=600 distortion=WEIGHTED_PROXY|OUTPUT|PROXY step=0.1
     * minKeep=0.05 budgets=0.3,0.5 scopes=ALL,FFN_AND_ATTENTION_OUTPUT refit=true,false block=32x32, and
     * latency=F latencyTokens=N to add, per scope and refit setting, a row allocated under a measured-latency
     * budget (the pruned layers' time at N tokens at most F of dense, timed on this machine's best CPU kernels).
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new java.util.HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("arguments are key=value, got " + arg);
            }
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        String[] block = a.getOrDefault("block", "32x32").split("x");
        Settings s = new Settings(Integer.parseInt(a.getOrDefault("calib", "400")),
                Integer.parseInt(a.getOrDefault("probe", "128")), Integer.parseInt(a.getOrDefault("eval", "600")), 32,
                Integer.parseInt(block[0]), Integer.parseInt(block[1]),
                java.util.Arrays.stream(a.getOrDefault("budgets", "0.3,0.5").split(",")).mapToDouble(Double::parseDouble).toArray(),
                java.util.Arrays.stream(a.getOrDefault("scopes", "ALL,FFN_AND_ATTENTION_OUTPUT").split(","))
                        .map(BlockModelPruner.Scope::valueOf).toList(),
                java.util.Arrays.stream(a.getOrDefault("refit", "true,false").split(",")).map(Boolean::parseBoolean).toList(),
                Double.parseDouble(a.getOrDefault("step", "0.1")), 0.9, Double.parseDouble(a.getOrDefault("minKeep", "0.05")),
                BlockModelPruner.Distortion.valueOf(a.getOrDefault("distortion", "WEIGHTED_PROXY")),
                Double.parseDouble(a.getOrDefault("latency", "0")), Integer.parseInt(a.getOrDefault("latencyTokens", "256")));
        try (SentenceEncoder dense = ModelSource.embedded().load()) {
            run(dense, Corpus.calibration(), Corpus.evaluation(), s, System.out);
        }
    }

    /** Runs the study and prints one line per row as it goes; returns the rows. */
    public static List<Row> run(SentenceEncoder dense, List<String> calibration, List<String> evaluation, Settings s,
                                PrintStream log) {
        if (calibration.size() < s.calib() + s.probe() || evaluation.size() < s.eval()) {
            throw new IllegalArgumentException("need " + (s.calib() + s.probe()) + " calibration and " + s.eval()
                    + " evaluation sentences, got " + calibration.size() + " and " + evaluation.size());
        }
        long t0 = System.nanoTime();
        List<String> calib = calibration.subList(0, s.calib());
        List<String> probe = calibration.subList(s.calib(), s.calib() + s.probe());
        List<String> eval = evaluation.subList(0, s.eval());
        Map<String, LayerStats> stats = ModelPruner.calibrate(dense, calib, s.batch(), Progress.none());
        float[][] ref = dense.embed(eval, s.batch());
        log.printf(Locale.ROOT, "calibrated on %d sentences in %.1f s%n", calib.size(), secs(t0));
        double[] grid = ProxyCurves.grid(s.gridStep(), s.maxSparsity());
        List<Row> rows = new ArrayList<>();
        int threads = Parallel.defaultThreadCount();
        MeasuredBlockLatency latency = null;
        for (BlockModelPruner.Scope scope : s.scopes()) {
            long t1 = System.nanoTime();
            BlockModelPruner.Analysis a = BlockModelPruner.analyse(dense.model(), stats, s.blockHeight(), s.blockWidth(),
                    scope, dev.spruce.prune.BlockLayer.DEFAULT_DAMP, threads);
            for (boolean refit : s.refits()) {
                List<LayerCurve> curves = curves(a, dense, probe, s, grid, refit);
                log.printf(Locale.ROOT, "%s: %s curves (refit %s) in %.1f s%n", scope, s.distortion(), refit, secs(t1));
                for (double budget : s.budgets()) {
                    Map<String, Double> uni = BlockModelPruner.uniform(a, budget);
                    SparsityAllocator.Allocation alloc = BlockModelPruner.allocate(curves, a.removedFraction(uni) , s.minKeep());
                    rows.add(measure(dense, a, uni, refit, scope, budget, "uniform", eval, ref, s.batch(), log));
                    Row r = measure(dense, a, BlockModelPruner.sparsities(alloc), refit, scope, budget,
                            "allocated (" + s.distortion().name().toLowerCase(Locale.ROOT) + ")", eval, ref, s.batch(), log);
                    rows.add(r);
                    if (refit && budget == s.budgets()[0]) {
                        for (SparsityAllocator.Choice c : alloc.choices()) {
                            log.printf(Locale.ROOT, "    %-45s %.2f (distortion %.4g)%n", c.curve().name(), c.sparsity(),
                                    c.distortion());
                        }
                    }
                }
                if (s.latencyFraction() > 0) {
                    if (latency == null) {
                        latency = new MeasuredBlockLatency();
                    }
                    SparsityAllocator.Allocation alloc = BlockModelPruner.allocate(curves, latency, s.latencyTokens(),
                            s.latencyFraction(), s.minKeep());
                    rows.add(measure(dense, a, BlockModelPruner.sparsities(alloc), refit, scope, Double.NaN,
                            String.format(Locale.ROOT, "latency <= %.2f of dense at %d tokens (predicted %.3f)",
                                    s.latencyFraction(), s.latencyTokens(), alloc.costFraction()), eval, ref, s.batch(), log));
                }
            }
        }
        log.printf(Locale.ROOT, "%nMiniLM block sparsity, %dx%d blocks, %d calibration / %d probe / %d evaluation"
                        + " sentences, grid step %.2f, minimum kept %.2f (%.0f s)%n",
                s.blockHeight(), s.blockWidth(), s.calib(), s.probe(), s.eval(), s.gridStep(), s.minKeep(), secs(t0));
        log.println("| layers | blocks removed | sparsity | refit | removed (measured) | mean layer loss | cosine mean | worst | Spearman |");
        log.println("|---|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            log.printf(Locale.ROOT, "| %s | %s | %s | %s | %.3f | %.4f | %.4f | %.4f | %.4f |%n",
                    r.scope().equals("ALL") ? "all 36" : "FFN + attn out (18)",
                    Double.isNaN(r.budget()) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * r.budget()), r.allocation(),
                    r.refit() ? "yes" : "no", r.removed(), r.meanLoss(), r.fidelity().meanCosine(),
                    r.fidelity().worstCosine(), r.fidelity().spearman());
        }
        return rows;
    }

    private static List<LayerCurve> curves(BlockModelPruner.Analysis a, SentenceEncoder dense, List<String> probe,
                                           Settings s, double[] grid, boolean refit) {
        return switch (s.distortion()) {
            case PROXY -> BlockModelPruner.proxyCurves(a, grid, refit);
            case WEIGHTED_PROXY -> BlockModelPruner.weightedProxyCurves(a, BlockModelPruner.proxyCurves(a, grid, refit),
                    dense, probe, s.batch(), 0.5, refit);
            case OUTPUT -> BlockModelPruner.outputCurves(a, dense, probe, s.batch(), grid, refit, Progress.none());
        };
    }

    private static Row measure(SentenceEncoder dense, BlockModelPruner.Analysis a, Map<String, Double> sparsity,
                               boolean refit, BlockModelPruner.Scope scope, double budget, String label, List<String> eval,
                               float[][] ref, int batch, PrintStream log) {
        BlockModelPruner.Outcome o = BlockModelPruner.prune(dense, a, sparsity, refit);
        try (var m = o.model()) {
            Fidelity f = Fidelity.compare(ref, dense.with(m).embed(eval, batch));
            Row r = new Row(scope.name(), budget, label, refit, o.removedFraction(), o.meanLoss(), f);
            log.printf(Locale.ROOT, "  %-26s %.0f%% %-22s refit %-5s removed %.3f loss %.4f cosine %.4f%n", scope,
                    100 * budget, label, refit, o.removedFraction(), o.meanLoss(), f.meanCosine());
            return r;
        }
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
