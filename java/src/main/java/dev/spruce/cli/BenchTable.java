package dev.spruce.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns JMH results into the {@code spruce bench} table. Generic by benchmark name, so a new benchmark
 * class appears without changes here, provided it uses the shared params: {@code shape} ("MxK", or {@code layer}
 * "MxK/bs" as ArmorBench has it), {@code batch} (tokens N), {@code threads} and optionally {@code dtype} (weight
 * type, F32 if absent); {@code sparsity} and {@code block} (BlockSparseBench) and a layer's block size become part
 * of the kernel label. A benchmark method named {@code dense} or {@code openblas} in any class is a baseline.
 *
 * <ul>
 *   <li>kernel: the benchmark class without "Bench", dot, the method ("dense.vector", "openblas.sgemm").</li>
 *   <li>GFLOP/s: dense-equivalent work 2*M*K*N per op, so sparse kernels are comparable with dense.</li>
 *   <li>GB/s: bytes a kernel must move per op (weights in its own format + X + Y) / time.</li>
 *   <li>vs OpenBLAS: OpenBLAS time / this time for the same shape, batch and threads (> 1 = faster).</li>
 *   <li>vs dense: dense.vector time / this time for the same shape, batch, threads and dtype,
 *       on rows that are not dense.vector or OpenBLAS.</li>
 * </ul>
 */
final class BenchTable {
    static final String DENSE = "dense.vector";
    static final String OPENBLAS_PREFIX = "openblas.";

    /** One benchmark result. */
    record Row(String kernel, String shape, int m, int k, int batch, int threads, String dtype, double micros,
               double errorMicros, double sparsity) {
        Row(String kernel, String shape, int m, int k, int batch, int threads, String dtype, double micros,
            double errorMicros) {
            this(kernel, shape, m, k, batch, threads, dtype, micros, errorMicros, 0);
        }

        String key() {
            return shape + "|" + batch + "|" + threads;
        }

        double gflops() {
            return 2.0 * m * k * batch / (micros * 1e3);
        }

        double gbps() {
            return bytes() / (micros * 1e3);
        }

        /** Bytes moved per op: weights in this kernel's storage, activations in, outputs out. */
        double bytes() {
            return weightBytesPerElement() * m * (double) k + 4.0 * batch * k + 4.0 * batch * m;
        }

        double weightBytesPerElement() {
            double b = switch (dtype) {
                case "BF16", "F16" -> 2;
                default -> 4;
            };
            // 2:4 layouts (and ARMOR's core) keep half the values plus a 4-bit position code per group of 4 weights.
            if (kernel.contains("24") || kernel.startsWith("armor.armor")) {
                return b / 2 + 0.125;
            }
            return b * (1 - sparsity); // block-sparse: only the kept blocks (indices are negligible)
        }
    }

    private BenchTable() {
    }

    /** Reads the rows of a JMH JSON result file (text). Rows without a parseable shape are skipped. */
    @SuppressWarnings("unchecked")
    static List<Row> rows(String json) {
        List<Row> out = new ArrayList<>();
        for (Object o : (List<Object>) Json.parse(json)) {
            Map<String, Object> r = (Map<String, Object>) o;
            Map<String, Object> params = (Map<String, Object>) r.getOrDefault("params", Map.of());
            Map<String, Object> metric = (Map<String, Object>) r.get("primaryMetric");
            String layer = String.valueOf(params.getOrDefault("layer", ""));
            String shape = String.valueOf(params.getOrDefault("shape", layer.contains("/") ? layer.substring(0, layer.indexOf('/')) : layer));
            String[] mk = shape.toLowerCase(Locale.ROOT).split("x");
            if (mk.length != 2 || metric == null) {
                continue;
            }
            // Weights used in turn from several copies: a row group of its own ("11008x4096@6"), compared only
            // with rows run the same way.
            String copies = String.valueOf(params.getOrDefault("copies", "1"));
            if (!copies.equals("1")) {
                shape += "@" + copies;
            }
            double score = ((Number) metric.get("score")).doubleValue();
            Object errObj = metric.get("scoreError");
            double err = errObj instanceof Number n ? n.doubleValue() : Double.NaN;
            double scale = toMicros(String.valueOf(metric.get("scoreUnit")));
            String kernel = kernelName(String.valueOf(r.get("benchmark")));
            boolean baseline = isDense(kernel) || isOpenBlas(kernel);
            double sparsity = 0;
            if (!baseline && params.containsKey("sparsity")) {
                sparsity = Double.parseDouble(String.valueOf(params.get("sparsity")));
                kernel += String.format(Locale.ROOT, " %.0f%%", 100 * sparsity);
            }
            if (!baseline && params.containsKey("block")) {
                kernel += " b" + params.get("block");
            }
            if (kernel.startsWith("armor.armor") && layer.contains("/")) {
                kernel += " bs" + layer.substring(layer.indexOf('/') + 1);
            }
            out.add(new Row(kernel, shape,
                    Integer.parseInt(mk[0]), Integer.parseInt(mk[1]),
                    Integer.parseInt(String.valueOf(params.getOrDefault("batch", "1"))),
                    Integer.parseInt(String.valueOf(params.getOrDefault("threads", "1"))),
                    String.valueOf(params.getOrDefault("dtype", "F32")).toUpperCase(Locale.ROOT),
                    score * scale, err * scale, sparsity));
        }
        return out;
    }

    private static double toMicros(String unit) {
        return switch (unit) {
            case "ns/op" -> 1e-3;
            case "us/op" -> 1;
            case "ms/op" -> 1e3;
            case "s/op" -> 1e6;
            default -> throw new IllegalArgumentException("unsupported JMH score unit '" + unit
                    + "' (the bench table needs average time per op)");
        };
    }

    /** "dev.spruce.jmh.DenseBench.vector" -> "dense.vector". */
    static String kernelName(String benchmark) {
        String[] p = benchmark.split("\\.");
        if (p.length < 2) {
            return benchmark;
        }
        String cls = p[p.length - 2];
        if (cls.endsWith("Bench")) {
            cls = cls.substring(0, cls.length() - "Bench".length());
        }
        return cls.toLowerCase(Locale.ROOT) + "." + p[p.length - 1];
    }

    static boolean isDense(String kernel) {
        return kernel.equals(DENSE) || kernel.endsWith(".dense");
    }

    static boolean isOpenBlas(String kernel) {
        return kernel.startsWith(OPENBLAS_PREFIX) || kernel.endsWith(".openblas");
    }

    /** The formatted table, rows grouped by shape, batch, threads, with the ratio columns filled in. */
    static String format(List<Row> rows) {
        Map<String, Row> openblas = new LinkedHashMap<>();
        Map<String, Row> dense = new LinkedHashMap<>();
        for (Row r : rows) {
            if (isOpenBlas(r.kernel())) {
                openblas.putIfAbsent(r.key(), r);
            } else if (isDense(r.kernel())) {
                dense.putIfAbsent(r.key() + "|" + r.dtype(), r);
            }
        }
        List<Row> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingLong((Row r) -> (long) r.m() * r.k()).reversed()
                .thenComparing(Row::shape).thenComparingInt(Row::batch).thenComparingInt(Row::threads)
                .thenComparing(r -> isOpenBlas(r.kernel()) ? 0 : isDense(r.kernel()) ? 1 : 2)
                .thenComparing(Row::dtype).thenComparing(Row::kernel));
        StringBuilder b = new StringBuilder();
        String fmt = "%-26s %-5s %-11s %6s %3s %12s %9s %8s %10s %9s%n";
        b.append(String.format(Locale.ROOT, fmt, "kernel", "dtype", "shape", "batch", "thr", "time", "GFLOP/s",
                "GB/s", "vs OpenBLAS", "vs dense"));
        for (Row r : sorted) {
            Row ob = openblas.get(r.key());
            Row d = dense.get(r.key() + "|" + r.dtype());
            String vsOb = ob == null ? "-" : String.format(Locale.ROOT, "%.2fx", ob.micros() / r.micros());
            boolean isRef = isDense(r.kernel()) || isOpenBlas(r.kernel());
            String vsDense = isRef || d == null ? "-" : String.format(Locale.ROOT, "%.2fx", d.micros() / r.micros());
            b.append(String.format(Locale.ROOT, fmt, r.kernel(), r.dtype(), r.shape(), r.batch(), r.threads(),
                    time(r.micros()), String.format(Locale.ROOT, "%.1f", r.gflops()),
                    String.format(Locale.ROOT, "%.1f", r.gbps()), vsOb, vsDense));
        }
        return b.toString();
    }

    private static String time(double micros) {
        if (micros >= 1e3) {
            return String.format(Locale.ROOT, "%.3f ms", micros / 1e3);
        }
        return String.format(Locale.ROOT, "%.1f us", micros);
    }
}
