package dev.spruce.cli.pipeline;

import dev.spruce.layout.io.AtomicWrite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's HTML report: one self-contained file (inline CSS and SVG, no scripts, nothing fetched, so it
 * opens on an offline machine) with the table and two charts: fidelity by method and speed relative to
 * dense Java by batch size. Written to a temporary file and renamed.
 */
public final class HtmlReport {
    private static final String[] COLORS = {"#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#c53030", "#718096"};

    private HtmlReport() {
    }

    public static void write(Demo.Result r, Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = AtomicWrite.tempBeside(abs);
        try {
            Files.writeString(tmp, html(r), StandardCharsets.UTF_8);
            AtomicWrite.replace(tmp, abs);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static String html(Demo.Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Spruce demo: pruned ")
                .append(esc(r.model())).append("</title>\n<style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;color:#1a202c;max-width:1200px}")
                .append("table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #cbd5e0;padding:4px 8px;text-align:right}")
                .append("th{background:#edf2f7}td:first-child,td:nth-child(2){text-align:left}")
                .append(".note{color:#4a5568;font-size:13px}svg{margin:1em 2em 1em 0;font-size:12px}</style></head><body>\n");
        sb.append("<h1>Spruce demo: 2:4 pruning of ").append(esc(r.model())).append("</h1>\n");
        Demo.Settings s = r.settings();
        sb.append(String.format(Locale.ROOT, "<p class=\"note\">%d calibration sentences, %d evaluation sentences; %s; "
                        + "run took %.0f s. Fidelity compares pruned with dense embeddings on the evaluation split; "
                        + "mean layer loss is the relative proxy loss ||(W-&#372;)X||&sup2;/||WX||&sup2; averaged over the pruned layers. "
                        + "Speeds are end-to-end sentences/s (tokenisation excluded), measured in this run, interleaved (two rounds per batch size over every engine, best round kept); the 2:4 methods share one layout and so one speed.</p>\n",
                s.calibration().size(), s.evaluation().size(), esc(r.machine()), r.seconds()));
        sb.append("<table><tr>");
        for (String h : DemoTable.header(r)) {
            sb.append("<th>").append(esc(h)).append("</th>");
        }
        sb.append("</tr>\n");
        for (List<String> row : DemoTable.rows(r)) {
            sb.append("<tr>");
            for (String c : row) {
                sb.append("<td>").append(esc(c)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</table>\n<h2>Fidelity by method</h2>\n").append(fidelityChart(r));
        if (!r.denseJava().isEmpty()) {
            sb.append("<h2>Speed relative to dense Java, by batch size</h2>\n").append(speedChart(r));
        }
        sb.append("</body></html>\n");
        return sb.toString();
    }

    private static String label(Demo.Row row) {
        return row.method() + (row.plan() == null ? " " + row.pattern()
                : row.plan().perType().isEmpty() ? "" : " (attn dense)");
    }

    /** Grouped bars: per variant, mean cosine, worst cosine, Spearman, top-10 overlap, on an axis from lo to 1. */
    static String fidelityChart(Demo.Result r) {
        List<String> groups = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        for (Demo.Row row : r.rows()) {
            groups.add(label(row));
            Fidelity f = row.fidelity();
            values.add(new double[] {f.meanCosine(), f.worstCosine(), f.spearman(), f.topKOverlap()});
        }
        double min = 1;
        for (double[] v : values) {
            for (double x : v) {
                min = Math.min(min, x);
            }
        }
        double lo = Math.max(0, Math.floor((min - 0.05) * 10) / 10);
        return bars(groups, List.of("cosine mean", "cosine worst", "Spearman", "top-10 overlap"), values, lo, 1.0, "%.2f", false);
    }

    /** Grouped bars: per batch size, sentences/s of each engine divided by dense Java's. */
    static String speedChart(Demo.Result r) {
        List<String> series = new ArrayList<>(List.of("dense Java", "ONNX Runtime"));
        List<Map<Integer, Double>> speeds = new ArrayList<>(List.of(r.denseJava(), r.ort()));
        List<String> seen = new ArrayList<>();
        for (Demo.Row row : r.rows()) {
            if (!row.speed().isEmpty() && !seen.contains(row.layout())) {
                seen.add(row.layout());
                series.add("sparse Java (" + row.layout() + ")");
                speeds.add(row.speed());
            }
        }
        List<String> groups = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        double max = 1;
        for (int b : r.settings().speedBatches()) {
            groups.add("batch " + b);
            double[] v = new double[series.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = speeds.get(i).getOrDefault(b, Double.NaN) / r.denseJava().get(b);
                max = Math.max(max, v[i]);
            }
            values.add(v);
        }
        return bars(groups, series, values, 0, Math.ceil(max * 4) / 4, "%.2fx", true);
    }

    private static String bars(List<String> groups, List<String> series, List<double[]> values, double lo, double hi,
                               String fmt, boolean unitLine) {
        int barW = 22;
        int gap = 26;
        int left = 50;
        int top = 20;
        int plotH = 240;
        int groupW = series.size() * barW + gap;
        int width = left + groups.size() * groupW + 20;
        int legendY = top + plotH + 50;
        int height = legendY + 20 * series.size() + 10;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
                width, height, width, height));
        for (int t = 0; t <= 4; t++) {
            double v = lo + (hi - lo) * t / 4;
            double y = top + plotH - plotH * t / 4.0;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e2e8f0\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left, y, width - 10, y, left - 4, y + 4,
                    String.format(Locale.ROOT, "%.2f", v)));
        }
        if (unitLine && hi > 1) {
            double y = top + plotH - plotH * (1 - lo) / (hi - lo);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#1a202c\" stroke-dasharray=\"4 3\"/>\n",
                    left, y, width - 10, y));
        }
        for (int g = 0; g < groups.size(); g++) {
            int x0 = left + g * groupW + gap / 2;
            for (int i = 0; i < series.size(); i++) {
                double v = values.get(g)[i];
                if (Double.isNaN(v)) {
                    continue;
                }
                double h = plotH * Math.max(0, Math.min(1, (v - lo) / (hi - lo)));
                double y = top + plotH - h;
                int x = x0 + i * barW;
                sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%s, %s: %s</title></rect>\n",
                        x, y, barW - 3, h, COLORS[i % COLORS.length], esc(groups.get(g)), esc(series.get(i)),
                        String.format(Locale.ROOT, fmt, v)));
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"9\">%s</text>\n",
                        x + (barW - 3) / 2.0, y - 3, String.format(Locale.ROOT, fmt, v)));
            }
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"10\">%s</text>\n",
                    x0 + series.size() * barW / 2.0, top + plotH + 18, esc(groups.get(g))));
        }
        for (int i = 0; i < series.size(); i++) {
            int y = legendY + 20 * i;
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
                    left, y, COLORS[i % COLORS.length], left + 18, y + 11, esc(series.get(i))));
        }
        return sb.append("</svg>\n").toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
