package dev.spruce.kernel.cuda.bench;

import dev.spruce.cuda.Cuda;
import dev.spruce.cuda.GpuTimer;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs every benchmark on every (shape, batch): poison the output, run once, verify against the CPU
 * reference, then time with CUDA events (warm-up, then enough launches for about {@code targetMs} per
 * repetition, median of three repetitions). A case whose check fails is reported, not timed.
 */
public final class GpuBenchRunner {
    private final List<GpuBenchmark> benchmarks;
    private final List<GpuBenchmarks.Shape> shapes;
    private final List<Integer> batches;
    private final double targetMs;
    private final PrintStream log;
    private long deadlineNanos = Long.MAX_VALUE;

    public GpuBenchRunner(List<GpuBenchmark> benchmarks, List<GpuBenchmarks.Shape> shapes, List<Integer> batches,
                          double targetMs, PrintStream log) {
        if (benchmarks.isEmpty() || shapes.isEmpty() || batches.isEmpty()) {
            throw new IllegalArgumentException("need at least one benchmark, shape and batch");
        }
        for (int b : batches) {
            if (b <= 0) {
                throw new IllegalArgumentException("batch sizes must be positive, got " + b);
            }
        }
        if (!(targetMs > 0)) {
            throw new IllegalArgumentException("target time must be positive, got " + targetMs);
        }
        this.benchmarks = List.copyOf(benchmarks);
        this.shapes = List.copyOf(shapes);
        this.batches = List.copyOf(batches);
        this.targetMs = targetMs;
        this.log = log;
    }

    /**
     * Stops timing new cases once {@code seconds} have passed (the rest are reported as skipped), so a slow
     * kernel cannot eat a GPU lease. 0 or less means no limit.
     */
    public GpuBenchRunner withTimeBudget(double seconds) {
        deadlineNanos = seconds > 0 ? System.nanoTime() + (long) (seconds * 1e9) : Long.MAX_VALUE;
        return this;
    }

    public List<BenchResult> run() {
        Cuda.require();
        List<BenchResult> out = new ArrayList<>();
        long seed = 1;
        try (GpuTimer timer = new GpuTimer()) {
            for (GpuBenchmarks.Shape s : shapes) {
                try (BenchWeights w = new BenchWeights(s.m(), s.k(), seed++)) {
                    Map<GpuBenchmark, GpuBenchmark.Layer> layers = new LinkedHashMap<>();
                    Map<GpuBenchmark, String> skipped = new LinkedHashMap<>();
                    for (GpuBenchmark b : benchmarks) {
                        String why = b.unavailableReason();
                        if (why != null) {
                            skipped.put(b, why);
                            continue;
                        }
                        try {
                            layers.put(b, b.prepare(w));
                        } catch (RuntimeException e) {
                            skipped.put(b, "prepare failed: " + e.getMessage());
                        }
                    }
                    try {
                        for (int n : batches) {
                            try (BenchInputs in = new BenchInputs(n, s.k(), 1000 + seed * 31 + n)) {
                                for (GpuBenchmark b : benchmarks) {
                                    GpuBenchmark.Layer layer = layers.get(b);
                                    BenchResult r = layer == null
                                            ? skippedResult(b.name(), s, n, skipped.get(b))
                                            : System.nanoTime() > deadlineNanos
                                            ? skippedResult(b.name(), s, n, "time budget used up")
                                            : runCase(b.name(), s, n, layer, in, timer);
                                    out.add(r);
                                    log.println(line(r));
                                }
                            }
                        }
                    } finally {
                        for (GpuBenchmark.Layer l : layers.values()) {
                            l.close();
                        }
                    }
                }
            }
        } finally {
            for (GpuBenchmark b : benchmarks) {
                if (b instanceof AutoCloseable c) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        log.println("closing " + b.name() + ": " + e.getMessage());
                    }
                }
            }
        }
        return out;
    }

    private static BenchResult skippedResult(String name, GpuBenchmarks.Shape s, int n, String why) {
        return new BenchResult(name, s.model(), s.m(), s.k(), n, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, false, "skipped: " + why);
    }

    private BenchResult runCase(String name, GpuBenchmarks.Shape s, int n, GpuBenchmark.Layer layer, BenchInputs in,
                                GpuTimer timer) {
        try (GpuBenchmark.Run run = layer.batch(in)) {
            run.poisonOutput();
            run.launch();
            Cuda.synchronize();
            double err = run.verify();
            double tol = run.tolerance();
            if (!(err <= tol)) {
                return new BenchResult(name, s.model(), s.m(), s.k(), n, Double.NaN, Double.NaN, Double.NaN, err, tol,
                        false, "WRONG RESULT: relative error " + err + " > " + tol);
            }
            double once = timer.time(run::launch, 2, 1);
            int iters = (int) Math.max(3, Math.min(500, Math.ceil(targetMs / Math.max(once, 1e-3))));
            double[] reps = new double[3];
            for (int i = 0; i < reps.length; i++) {
                reps[i] = timer.time(run::launch, 0, iters);
            }
            Arrays.sort(reps);
            double ms = reps[1];
            double flops = 2.0 * s.m() * s.k() * n;
            double bytes = layer.weightBytes() + run.ioBytes();
            return new BenchResult(name, s.model(), s.m(), s.k(), n, ms, flops / (ms * 1e9), bytes / (ms * 1e6), err, tol,
                    true, "");
        } catch (RuntimeException e) {
            return new BenchResult(name, s.model(), s.m(), s.k(), n, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, false, "ERROR: " + e.getMessage());
        }
    }

    static String line(BenchResult r) {
        if (!r.ran()) {
            return String.format("  %-20s %5dx%-5d n=%-5d %s", r.bench(), r.m(), r.k(), r.n(), r.note());
        }
        return String.format("  %-20s %5dx%-5d n=%-5d %9.4f ms %8.2f TFLOP/s %8.1f GB/s  rel err %.2e", r.bench(),
                r.m(), r.k(), r.n(), r.ms(), r.tflops(), r.gbps(), r.relErr());
    }
}
