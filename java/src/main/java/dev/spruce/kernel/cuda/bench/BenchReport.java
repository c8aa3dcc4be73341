package dev.spruce.kernel.cuda.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Formats gpu-check results: the summary table (one row per shape and batch) and the JSON file. */
public final class BenchReport {
    private BenchReport() {
    }

    /**
     * Table: for each (shape, batch) the time of every benchmark in microseconds and, after the baseline,
     * its speed relative to {@link GpuBenchmarks#BASELINE} (baseline time / its time: above 1 is faster).
     */
    public static String table(List<BenchResult> results) {
        Set<String> benches = new LinkedHashSet<>();
        Map<String, Map<String, BenchResult>> byCase = new LinkedHashMap<>();
        for (BenchResult r : results) {
            benches.add(r.bench());
            byCase.computeIfAbsent(r.m() + "x" + r.k() + " n=" + r.n(), c -> new LinkedHashMap<>()).put(r.bench(), r);
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-22s", "shape (MxK) batch"));
        for (String b : benches) {
            sb.append(String.format(" %20s", b));
        }
        sb.append('\n');
        sb.append(String.format("%-22s", "  [us, x vs " + GpuBenchmarks.BASELINE + "]"));
        sb.append('\n');
        for (Map.Entry<String, Map<String, BenchResult>> e : byCase.entrySet()) {
            sb.append(String.format("%-22s", e.getKey()));
            BenchResult base = e.getValue().get(GpuBenchmarks.BASELINE);
            for (String b : benches) {
                BenchResult r = e.getValue().get(b);
                String cell;
                if (r == null) {
                    cell = "-";
                } else if (!r.ran()) {
                    cell = r.note().startsWith("skipped") ? "skip" : (r.note().startsWith("WRONG") ? "WRONG" : "error");
                } else if (base != null && base.ran() && !b.equals(GpuBenchmarks.BASELINE)) {
                    cell = String.format(Locale.ROOT, "%.1f (%.2fx)", r.ms() * 1000, base.ms() / r.ms());
                } else {
                    cell = String.format(Locale.ROOT, "%.1f", r.ms() * 1000);
                }
                sb.append(String.format(" %20s", cell));
            }
            sb.append('\n');
        }
        List<String> notes = new ArrayList<>();
        for (BenchResult r : results) {
            if (!r.ran() && !notes.contains(r.bench() + ": " + r.note())) {
                notes.add(r.bench() + ": " + r.note());
            }
        }
        for (String n : notes.subList(0, Math.min(notes.size(), 12))) {
            sb.append("note: ").append(n).append('\n');
        }
        return sb.toString();
    }

    /** Minimal JSON string escaping. */
    public static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** A JSON number, or null for NaN / infinity. */
    public static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null";
    }

    public static String json(BenchResult r) {
        return "{\"bench\": " + quote(r.bench()) + ", \"model\": " + quote(r.model()) + ", \"m\": " + r.m()
                + ", \"k\": " + r.k() + ", \"n\": " + r.n() + ", \"ms\": " + num(r.ms()) + ", \"tflops\": "
                + num(r.tflops()) + ", \"gbps\": " + num(r.gbps()) + ", \"rel_err\": " + num(r.relErr())
                + ", \"tolerance\": " + num(r.tolerance()) + ", \"correct\": " + r.correct() + ", \"note\": "
                + quote(r.note()) + "}";
    }
}
