package dev.spruce.cli.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Table and HTML report from a hand-made result with speeds (the pipeline test runs without timing). */
class ReportTest {
    @TempDir
    Path dir;

    private static Demo.Result result() {
        Demo.Settings s = new Demo.Settings(List.of("a"), List.of("b", "c"), 8, List.of(1, 32), 0.5, 1);
        Fidelity f = new Fidelity(2, 0.9, 0.8, 0.95, 0.7, 1);
        PrunePlan p = PrunePlan.uniform(Method.SPARSEGPT, Sparsity.parse("2:4"));
        Demo.Row all = new Demo.Row(p.methodName(), "2:4", p, "36 sparse24", 36, 36, 0.03, f, Map.of(1, 50.0, 32, 150.0));
        Demo.Row attn = new Demo.Row(p.methodName(), "2:4, attention dense", p.attentionDense(), "24 dense + 12 sparse24", 12, 36, 0.01, f, Map.of(1, 45.0, 32, 120.0));
        return new Demo.Result("m<1>", "2 CPU(s)", s, List.of(all, attn), Map.of(1, 40.0, 32, 100.0),
                Map.of(1, 20.0, 32, 125.0), new Fidelity(2, 0.999999, 0.999998, 1.0, 1.0, 1), 12);
    }

    @Test
    void tableHasRatiosToDenseJavaAndOnnxRuntime() {
        List<List<String>> rows = DemoTable.rows(result());
        assertEquals(4, rows.size());
        List<String> h = DemoTable.header(result());
        List<String> sparse = rows.get(2);
        assertEquals("150.0", sparse.get(h.indexOf("sent/s b32")));
        assertEquals("1.50x", sparse.get(h.indexOf("vs dense b32")));
        assertEquals("1.20x", sparse.get(h.indexOf("vs ORT b32")));
        assertEquals("2.50x", sparse.get(h.indexOf("vs ORT b1")));
        assertEquals("2:4, attention dense", rows.get(3).get(1));
        // dense Java is the reference (1); ONNX Runtime's agreement with it is measured
        assertEquals("1", rows.get(0).get(h.indexOf("cos mean")));
        assertEquals("1.00000", rows.get(1).get(h.indexOf("cos mean")));
        assertEquals("1.00000", rows.get(1).get(h.indexOf("cos worst")));
        assertTrue(DemoTable.text(result()).lines().count() == 6);
    }

    @Test
    void htmlIsSelfContainedWithBothChartsAndEscapedText() throws Exception {
        Path file = dir.resolve("sub/demo.html");
        HtmlReport.write(result(), file);
        String html = Files.readString(file);
        assertTrue(html.contains("Fidelity by method") && html.contains("Speed relative to dense Java"));
        assertEquals(2, html.split("<svg", -1).length - 1);
        assertTrue(html.contains("m&lt;1&gt;") && !html.contains("m<1>"));
        assertTrue(html.contains("1.50x"), "sparse speedup at batch 32 labelled");
        assertFalse(html.contains("NaN") || html.contains("<script"));
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "no temporary file left");
        }
    }
}
