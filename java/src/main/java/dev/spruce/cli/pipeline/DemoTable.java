package dev.spruce.cli.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The demo's one table, as rows of cells: shared by the terminal printout and the HTML report. */
public final class DemoTable {
    private DemoTable() {
    }

    public static List<String> header(Demo.Result r) {
        List<String> h = new ArrayList<>(List.of("method", "pattern", "layers pruned", "mean layer loss", "cos mean",
                "cos worst", "Spearman", "top-10"));
        for (int b : r.settings().speedBatches()) {
            h.add("sent/s b" + b);
        }
        for (int b : r.settings().speedBatches()) {
            h.add("vs dense b" + b);
        }
        for (int b : r.settings().speedBatches()) {
            h.add("vs ORT b" + b);
        }
        return h;
    }

    public static List<List<String>> rows(Demo.Result r) {
        List<List<String>> out = new ArrayList<>();
        int layers = r.rows().isEmpty() ? 0 : r.rows().get(0).layers();
        if (!r.denseJava().isEmpty()) {
            out.add(reference("dense Java", layers, r.denseJava(), null, r));
            out.add(reference("ONNX Runtime", layers, r.ort(), r.ortFidelity(), r));
        }
        for (Demo.Row row : r.rows()) {
            List<String> c = new ArrayList<>();
            c.add(row.method());
            c.add(row.pattern());
            c.add(row.layersPruned() + "/" + row.layers());
            c.add(f(row.meanLoss(), 4));
            c.add(f(row.fidelity().meanCosine(), 5));
            c.add(f(row.fidelity().worstCosine(), 5));
            c.add(f(row.fidelity().spearman(), 4));
            c.add(f(row.fidelity().topKOverlap(), 3));
            speeds(c, row.speed(), r);
            out.add(c);
        }
        return out;
    }

    /** A dense engine's row; its fidelity columns are 1 for dense Java itself, measured for ONNX Runtime. */
    private static List<String> reference(String name, int layers, Map<Integer, Double> speed, Fidelity fid,
                                          Demo.Result r) {
        List<String> c = new ArrayList<>(List.of(name, "dense", "0/" + layers, "0"));
        if (fid == null) {
            c.addAll(List.of("1", "1", "1", "1"));
        } else {
            c.addAll(List.of(f(fid.meanCosine(), 5), f(fid.worstCosine(), 5), f(fid.spearman(), 4),
                    f(fid.topKOverlap(), 3)));
        }
        speeds(c, speed, r);
        return c;
    }

    private static void speeds(List<String> c, Map<Integer, Double> speed, Demo.Result r) {
        List<Integer> batches = r.settings().speedBatches();
        for (int b : batches) {
            c.add(speed.containsKey(b) ? f(speed.get(b), 1) : "-");
        }
        for (Map<Integer, Double> base : List.of(r.denseJava(), r.ort())) {
            for (int b : batches) {
                c.add(speed.containsKey(b) && base.containsKey(b) ? f(speed.get(b) / base.get(b), 2) + "x" : "-");
            }
        }
    }

    static String f(double v, int digits) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    /** Fixed-width text rendering. */
    public static String text(Demo.Result r) {
        List<String> h = header(r);
        List<List<String>> rows = rows(r);
        int[] w = new int[h.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = h.get(i).length();
            for (List<String> row : rows) {
                w[i] = Math.max(w[i], row.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, h, w);
        StringBuilder rule = new StringBuilder();
        for (int x : w) {
            rule.append("-".repeat(x)).append("  ");
        }
        sb.append(rule.toString().stripTrailing()).append('\n');
        for (List<String> row : rows) {
            line(sb, row, w);
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] w) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            l.append(i < 2 ? String.format("%-" + w[i] + "s", c) : String.format("%" + w[i] + "s", c)).append("  ");
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }
}
