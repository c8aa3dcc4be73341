package dev.spruce.cli;

import dev.spruce.calib.LayerStats;
import dev.spruce.cli.pipeline.Fidelity;
import dev.spruce.cli.pipeline.ModelPruner;
import dev.spruce.cli.pipeline.ModelSource;
import dev.spruce.cli.pipeline.PackedModel;
import dev.spruce.cli.pipeline.Progress;
import dev.spruce.cli.pipeline.PrunePlan;
import dev.spruce.cli.pipeline.Throughput;
import dev.spruce.kernel.Parallel;
import dev.spruce.model.OrtSentenceEncoder;
import dev.spruce.model.SentenceEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code spruce bench-model}: end-to-end sentences/s of dense Java, sparse Java and ONNX Runtime in one run. */
@Command(name = "bench-model", mixinStandardHelpOptions = true,
        description = {"End-to-end sentences/s (tokenisation excluded) of the dense Java encoder, a sparse one "
                + "(--packed FILE, or the model pruned in memory by --method/--pattern/...) and ONNX Runtime on the "
                + "same batches of the evaluation split, at batch 1 and 32 (--batches)."})
public final class BenchModelCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model = new ModelOptions();
    @Mixin
    PlanOptions planOptions = new PlanOptions();
    @Mixin
    CorpusOptions corpus = new CorpusOptions();
    @Mixin
    EvalOptions evalOptions = new EvalOptions();

    @Option(names = "--packed", paramLabel = "FILE", description = "Packed model file to time as the sparse model.")
    Path packed;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "5",
            description = "Timed seconds per measurement (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--batches", paramLabel = "N[,N...]", split = ",", defaultValue = "1,32",
            description = "Sentences per batch to time (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Override
    public Integer call() throws Exception {
        if (!(seconds > 0)) {
            throw new IllegalArgumentException("--seconds must be > 0, got " + seconds);
        }
        for (int b : batches) {
            if (b < 1) {
                throw new IllegalArgumentException("--batches must be >= 1, got " + b);
            }
        }
        ModelSource src = packed == null ? model.source() : model.source(PackedModel.pooling(packed));
        List<String> eval = evalOptions.evaluation();
        Throughput t = new Throughput(eval, Math.max(0.5, seconds / 3), seconds);
        int threads = Parallel.defaultThreadCount();
        try (SentenceEncoder dense = src.load();
             OrtSentenceEncoder ort = new OrtSentenceEncoder(src.onnxBytes(), dense.tokenizer(), threads, dense.pooling())) {
            SentenceEncoder sparse;
            String label;
            if (packed != null) {
                sparse = PackedModel.load(packed);
                label = packed.toString();
            } else {
                PrunePlan plan = planOptions.plan();
                ModelPruner.checkPlan(dense.model(), plan);
                java.util.Map<String, LayerStats> stats = ModelPruner.calibrate(dense, corpus.calibration(), corpus.batch(),
                        Progress.none());
                sparse = dense.with(ModelPruner.prune(dense.model(), stats, plan, Progress.none()).model());
                label = plan.label();
            }
            try (sparse) {
                Fidelity agree = agreement(dense, ort, eval.subList(0, Math.min(64, eval.size())));
                System.out.printf(Locale.ROOT, "dense Java vs ONNX Runtime on %d evaluation sentences: cosine mean %.6f, "
                        + "worst %.6f%n", agree.sentences(), agree.meanCosine(), agree.worstCosine());
                if (agree.worstCosine() < AGREEMENT) {
                    System.out.printf(Locale.ROOT, "WARNING: the Java forward does not reproduce this ONNX model (worst "
                            + "cosine below %.3f): check --pooling and --tokenizer, or the model uses a variant the "
                            + "importer does not know%n", AGREEMENT);
                }
                System.out.printf(Locale.ROOT, "%-14s %8s %12s %12s %12s%n", "engine", "batch", "sentences/s", "vs dense", "vs ORT");
                for (int b : batches) {
                    double d = t.java("dense Java", dense, b);
                    double s = t.java("sparse Java", sparse, b);
                    double o = t.ort(ort, dense, b);
                    row("dense Java", b, d, d, o);
                    row("sparse Java", b, s, d, o);
                    row("ONNX Runtime", b, o, d, o);
                }
                System.out.println("sparse model: " + label + "; " + threads + " thread(s) for Java and ONNX Runtime");
            }
        }
        return 0;
    }

    /** Below this worst-case cosine the Java forward is not the ONNX model (float32 round-off stays above 0.9999). */
    static final double AGREEMENT = 0.999;

    /** Dense Java against ONNX Runtime on the same token batches (of up to 32 sentences). */
    static Fidelity agreement(SentenceEncoder java, OrtSentenceEncoder ort, List<String> sentences) throws Exception {
        return Fidelity.compare(ort.embed(sentences, 32), java.embed(sentences, 32));
    }

    private static void row(String name, int batch, double v, double dense, double ort) {
        System.out.printf(Locale.ROOT, "%-14s %8d %12.1f %11.2fx %11.2fx%n", name, batch, v, v / dense, v / ort);
    }
}
