package dev.spruce.kernel.cuda.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The outside anchor: the same shapes through the host's PyTorch (cuBLAS dense bf16 and 2:4 semi-structured
 * sparse through cuSPARSELt), run as a python3 subprocess ({@code scripts/torch_anchor.py}) in the same
 * gpu-check. Skipped with a reason when there is no python3, no torch, or no GPU for torch.
 */
public final class TorchAnchor {
    public static final String DENSE = "torch-dense-bf16";
    public static final String SPARSE24 = "torch-2:4-bf16";

    /** What the anchor produced: rows for the table, a one-line description, or why it was skipped. */
    public record Outcome(List<BenchResult> results, String info, String skipReason) {
    }

    private TorchAnchor() {
    }

    /** Runs the script; never throws (failures become the skip reason). */
    public static Outcome run(Path script, String python, List<GpuBenchmarks.Shape> shapes, List<Integer> batches,
                              double targetMs, long timeoutSeconds) {
        if (!Files.isRegularFile(script)) {
            return new Outcome(List.of(), "", "anchor script not found at " + script);
        }
        List<String> cmd = List.of(python, script.toString(),
                "--shapes", shapes.stream().map(GpuBenchmarks.Shape::toString).collect(Collectors.joining(",")),
                "--batches", batches.stream().map(String::valueOf).collect(Collectors.joining(",")),
                "--target-ms", String.valueOf(targetMs));
        List<String> lines = new ArrayList<>();
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Outcome(List.of(), "", "cannot start " + python + ": " + e.getMessage());
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    String l;
                    while ((l = r.readLine()) != null) {
                        synchronized (lines) {
                            lines.add(l);
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended or was killed
                }
            });
            boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            reader.join(2000);
            List<String> copy;
            synchronized (lines) {
                copy = List.copyOf(lines);
            }
            return parse(copy, shapes, done ? null : "timed out after " + timeoutSeconds + " s", p.isAlive() ? -1
                    : p.exitValue());
        } catch (IOException | InterruptedException e) {
            p.destroyForcibly();
            return new Outcome(List.of(), "", "anchor failed: " + e);
        }
    }

    private static final Pattern SKIP = Pattern.compile("\\{\"skip\": \"(.*)\"}");
    private static final Pattern INFO = Pattern.compile("\\{\"info\": (\\{.*})}");

    static Outcome parse(List<String> lines, List<GpuBenchmarks.Shape> shapes, String timeout, int exit) {
        List<BenchResult> results = new ArrayList<>();
        String info = "";
        List<String> other = new ArrayList<>();
        for (String l : lines) {
            Matcher s = SKIP.matcher(l);
            if (s.matches()) {
                return new Outcome(List.of(), "", s.group(1));
            }
            Matcher i = INFO.matcher(l);
            if (i.matches()) {
                info = i.group(1);
                continue;
            }
            if (l.startsWith("{\"m\":")) {
                int m = (int) num(l, "m"), k = (int) num(l, "k"), n = (int) num(l, "n");
                String model = shapes.stream().filter(x -> x.m() == m && x.k() == k).map(GpuBenchmarks.Shape::model)
                        .findFirst().orElse("");
                results.add(row(DENSE, model, m, k, n, num(l, "dense_ms"), Double.NaN, ""));
                String err = str(l, "sparse24_error");
                double sms = num(l, "sparse24_ms");
                results.add(row(SPARSE24, model, m, k, n, sms, num(l, "sparse24_rel_err"),
                        err != null ? "ERROR: " + err : ""));
            } else if (!l.isBlank()) {
                other.add(l);
            }
        }
        String skip = null;
        if (results.isEmpty()) {
            skip = timeout != null ? timeout : "anchor printed no results (exit " + exit + ")"
                    + (other.isEmpty() ? "" : ": " + String.join(" | ", other.subList(Math.max(0, other.size() - 3),
                    other.size())));
        }
        return new Outcome(results, info, skip);
    }

    private static BenchResult row(String bench, String model, int m, int k, int n, double ms, double relErr, String note) {
        boolean ran = !Double.isNaN(ms);
        double flops = 2.0 * m * k * n;
        return new BenchResult(bench, model, m, k, n, ms, ran ? flops / (ms * 1e9) : Double.NaN, Double.NaN, relErr,
                Double.NaN, ran, ran ? "" : (note.isEmpty() ? "not run" : note));
    }

    static double num(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\": (-?[0-9.eE+-]+)").matcher(json);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    static String str(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\": \"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }
}
