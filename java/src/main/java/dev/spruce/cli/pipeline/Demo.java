package dev.spruce.cli.pipeline;

import dev.spruce.calib.LayerStats;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.Parallel;
import dev.spruce.model.Linear;
import dev.spruce.model.OrtSentenceEncoder;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.tensor.DType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The demo's work: calibrate the dense model once, prune it with every method (plus one plan that keeps
 * attention dense, using the method with the best mean cosine), measure fidelity on the evaluation split and
 * sentences/s of dense Java, sparse Java and ONNX Runtime at each batch size, in one run.
 *
 * <p>Speed depends only on the layout, not on the method that chose the weights, so each distinct layout
 * (all Linears 2:4, attention dense) is timed once and shared by the rows that have it.
 */
public final class Demo {

    /**
     * Settings. {@code seconds} = 0 skips timing (tests). {@code probe}: held-out calibration sentences that weight the
     * block-sparsity curves (unused without block plans).
     */
    public record Settings(List<String> calibration, List<String> evaluation, int batch, List<Integer> speedBatches,
                           double warmupSeconds, double seconds, List<String> probe) {
        public Settings(List<String> calibration, List<String> evaluation, int batch, List<Integer> speedBatches,
                        double warmupSeconds, double seconds) {
            this(calibration, evaluation, batch, speedBatches, warmupSeconds, seconds, List.of());
        }
    }

    /**
     * One pruned variant: its method and pattern as the table shows them, the mask/factorisation plan ({@code null}
     * for block-sparse rows, which a {@link BlockPlan} made). {@code speed} maps batch size to sentences/s (empty
     * when not timed).
     */
    public record Row(String method, String pattern, PrunePlan plan, String layout, long layersPruned, int layers,
                      double meanLoss, Fidelity fidelity, Map<Integer, Double> speed) {
        Row withSpeed(Map<Integer, Double> s) {
            return new Row(method, pattern, plan, layout, layersPruned, layers, meanLoss, fidelity, s);
        }
    }

    /**
     * Everything the table and the report show. {@code ortFidelity} compares ONNX Runtime's embeddings with dense
     * Java's on the evaluation split (how closely the Java forward reproduces the ONNX model); null when not timed.
     */
    public record Result(String model, String machine, Settings settings, List<Row> rows, Map<Integer, Double> denseJava,
                         Map<Integer, Double> ort, Fidelity ortFidelity, double seconds) {
    }

    private Demo() {
    }

    /**
     * Runs {@code plans} in order, then the best mask pruner's plan (by mean cosine) again with attention dense.
     * ARMOR plans are not candidates for that extra row: a second factorisation of the model costs minutes.
     */
    public static Result run(ModelSource source, List<PrunePlan> plans, Settings s, Progress progress,
                             java.io.PrintStream log) throws Exception {
        return run(source, plans, List.of(), s, progress, log);
    }

    /** The same, then each block plan (allocated across layers, packed block-sparse). */
    public static Result run(ModelSource source, List<PrunePlan> plans, List<BlockPlan> blockPlans, Settings s,
                             Progress progress, java.io.PrintStream log) throws Exception {
        long t0 = System.nanoTime();
        int threads = Parallel.defaultThreadCount();
        String machine = Runtime.getRuntime().availableProcessors() + " CPU(s), " + threads + " thread(s); Java GEMM "
                + Backends.bestCpu(Op.GEMM, DType.F32).name() + ", 2:4 " + Backends.bestCpu(Op.SPMM24, DType.F32).name();
        List<Row> rows = new ArrayList<>();
        Map<Integer, Double> denseSpeed = new LinkedHashMap<>();
        Map<Integer, Double> ortSpeed = new LinkedHashMap<>();
        Map<String, SentenceEncoder> byLayout = new LinkedHashMap<>();   // one pruned model per layout, for timing
        Map<String, Map<Integer, Double>> layoutSpeed = new LinkedHashMap<>();
        Fidelity ortFidelity = null;
        try (SentenceEncoder dense = source.load()) {
            Map<String, LayerStats> stats = ModelPruner.calibrate(dense, s.calibration(), s.batch(), progress);
            float[][] ref = dense.embed(s.evaluation(), s.batch());
            List<Row> pending = new ArrayList<>();
            boolean anyMask = plans.stream().anyMatch(p -> !p.method().factorizes());
            for (int i = 0; i < plans.size() + (anyMask ? 1 : 0); i++) {
                PrunePlan plan = i < plans.size() ? plans.get(i)
                        : pending.stream().filter(r -> r.plan() != null && !r.plan().method().factorizes())
                        .max((a, b) -> Double.compare(a.fidelity().meanCosine(), b.fidelity().meanCosine()))
                        .get().plan().attentionDense();
                ModelPruner.Outcome out = ModelPruner.prune(dense.model(), stats, plan, progress);
                pending.add(measure(plan.methodName(), plan.perType().isEmpty() ? plan.defaultSparsity().toString()
                        : plan.defaultSparsity() + ", attention dense", plan, out, dense, ref, s, byLayout, log));
            }
            for (BlockPlan bp : blockPlans) {
                ModelPruner.Outcome out = bp.prune(dense, stats, s.probe().isEmpty() ? s.calibration() : s.probe(),
                        s.batch(), progress);
                pending.add(measure("lpvit blocks", bp.label(), null, out, dense, ref, s, byLayout, log));
            }
            if (s.seconds() > 0) {
                ortFidelity = time(source, dense, ref, byLayout, s, denseSpeed, ortSpeed, layoutSpeed, threads, log);
            }
            for (Row r : pending) {
                rows.add(r.withSpeed(layoutSpeed.getOrDefault(r.layout(), Map.of())));
            }
        } finally {
            byLayout.values().forEach(SentenceEncoder::close);
        }
        return new Result(source.label(), machine, s, rows, denseSpeed, ortSpeed, ortFidelity,
                (System.nanoTime() - t0) / 1e9);
    }

    /** Fidelity of one pruned model; keeps it for timing when its layout is new, else closes it. */
    private static Row measure(String method, String pattern, PrunePlan plan, ModelPruner.Outcome out,
                               SentenceEncoder dense, float[][] ref, Settings s, Map<String, SentenceEncoder> byLayout,
                               java.io.PrintStream log) {
        SentenceEncoder pruned = dense.with(out.model());
        Fidelity f = Fidelity.compare(ref, pruned.embed(s.evaluation(), s.batch()));
        String layout = layout(out.model().linears());
        if (s.seconds() > 0 && !byLayout.containsKey(layout)) {
            byLayout.put(layout, pruned);
        } else {
            pruned.close();
        }
        log.printf(java.util.Locale.ROOT, "%-40s mean layer loss %.4f, cosine mean %.5f worst %.5f%n",
                method + " " + pattern, out.meanLoss(), f.meanCosine(), f.worstCosine());
        return new Row(method, pattern, plan, layout, out.prunedCount(), out.layers().size(), out.meanLoss(), f, Map.of());
    }

    /**
     * Times every engine on the same batches, interleaved: per batch size, two rounds over dense Java, ONNX
     * Runtime and each sparse layout, keeping each engine's better round. A busy machine then slows all
     * engines alike instead of whichever happened to run during a spike. Returns ONNX Runtime's embeddings of the
     * evaluation split compared with dense Java's ({@code ref}).
     */
    private static Fidelity time(ModelSource source, SentenceEncoder dense, float[][] ref,
                                 Map<String, SentenceEncoder> byLayout, Settings s, Map<Integer, Double> denseSpeed,
                                 Map<Integer, Double> ortSpeed, Map<String, Map<Integer, Double>> layoutSpeed,
                                 int threads, java.io.PrintStream log) throws Exception {
        Throughput timing = new Throughput(s.evaluation(), s.warmupSeconds() / 2, s.seconds() / 2);
        try (OrtSentenceEncoder ort = new OrtSentenceEncoder(source.onnxBytes(), dense.tokenizer(), threads, dense.pooling())) {
            float[][] byOrt = ort.embed(s.evaluation(), s.batch());
            for (int b : s.speedBatches()) {
                log.printf("timing dense Java, ONNX Runtime and %d sparse layout(s) at batch %d ...%n", byLayout.size(), b);
                for (int round = 0; round < 2; round++) {
                    denseSpeed.merge(b, timing.java("dense Java", dense, b), Math::max);
                    ortSpeed.merge(b, timing.ort(ort, dense, b), Math::max);
                    for (Map.Entry<String, SentenceEncoder> e : byLayout.entrySet()) {
                        layoutSpeed.computeIfAbsent(e.getKey(), k -> new LinkedHashMap<>())
                                .merge(b, timing.java("sparse Java", e.getValue(), b), Math::max);
                    }
                }
            }
            return Fidelity.compare(ref, byOrt);
        }
    }

    /** "36 sparse24", "24 sparse24 + 12 dense" or "24 armor bs16 + 12 armor bs32": what decides the speed. */
    static String layout(List<Linear> linears) {
        Map<String, Long> count = linears.stream().collect(Collectors.groupingBy(Demo::layoutOf, LinkedHashMap::new,
                Collectors.counting()));
        return count.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(" + "));
    }

    /** A Linear's layout as far as speed goes: its kind, and for ARMOR its wrapper block sizes. */
    private static String layoutOf(Linear l) {
        if (l instanceof dev.spruce.model.ArmorLinear a) {
            int ba = a.layout().a().blockSize();
            int bb = a.layout().b().blockSize();
            return l.kind() + " bs" + (ba == bb ? String.valueOf(ba) : ba + "/" + bb);
        }
        return l.kind();
    }
}
