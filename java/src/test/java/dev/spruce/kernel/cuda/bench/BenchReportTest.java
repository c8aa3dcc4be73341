package dev.spruce.kernel.cuda.bench;

import org.junit.jupiter.api.Test;

import java.io.PrintStream;
import java.io.OutputStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs everywhere: the gpu-check report, JSON and PyTorch-anchor parsing need no GPU. */
class BenchReportTest {
    private static final List<GpuBenchmarks.Shape> SHAPES = List.of(new GpuBenchmarks.Shape("llama-7b", 4096, 4096));

    @Test
    void tableShowsSpeedupAgainstBaselineAndNotes() {
        List<BenchResult> rs = List.of(
                new BenchResult("cublas-bf16", "llama-7b", 4096, 4096, 8, 0.020, 13.4, 1680, 3e-3, 1e-2, true, ""),
                new BenchResult("spruce-dense-bf16", "llama-7b", 4096, 4096, 8, 0.040, 6.7, 840, 1e-6, 1e-4, true, ""),
                new BenchResult("sp24", "llama-7b", 4096, 4096, 8, Double.NaN, Double.NaN, Double.NaN, 0.5, 1e-2, false,
                        "WRONG RESULT: relative error 0.5 > 0.01"));
        String t = BenchReport.table(rs);
        assertTrue(t.contains("4096x4096 n=8"), t);
        assertTrue(t.contains("40.0 (0.50x)"), t);
        assertTrue(t.contains("20.0"), t);
        assertTrue(t.contains("WRONG"), t);
        assertTrue(t.contains("note: sp24: WRONG RESULT"), t);
    }

    @Test
    void jsonEscapesAndWritesNullForNaN() {
        BenchResult r = new BenchResult("a\"b", "m", 1, 2, 3, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                false, "skipped: no \\ cuBLAS\n");
        String j = BenchReport.json(r);
        assertTrue(j.contains("\"bench\": \"a\\\"b\""), j);
        assertTrue(j.contains("\"ms\": null"), j);
        assertTrue(j.contains("no \\\\ cuBLAS\\n"), j);
    }

    @Test
    void torchAnchorOutputIsParsed() {
        TorchAnchor.Outcome o = TorchAnchor.parse(List.of(
                "{\"info\": {\"torch\": \"2.11.0\", \"sparse24\": \"cuSPARSELt 0.8\"}}",
                "{\"m\": 4096, \"k\": 4096, \"n\": 8, \"dense_ms\": 0.0213, \"sparse24_rel_err\": 0.0021, "
                        + "\"sparse24_ms\": 0.0150, \"dense24_ms\": 0.0212}",
                "{\"m\": 4096, \"k\": 4096, \"n\": 1, \"dense_ms\": 1.5e-2, \"sparse24_error\": \"shape \\\"bad\\\"\"}"),
                SHAPES, null, 0);
        assertEquals(null, o.skipReason());
        assertTrue(o.info().contains("cuSPARSELt"), o.info());
        assertEquals(4, o.results().size());
        BenchResult dense = o.results().get(0);
        assertEquals(TorchAnchor.DENSE, dense.bench());
        assertEquals("llama-7b", dense.model());
        assertEquals(0.0213, dense.ms(), 1e-12);
        BenchResult sparse = o.results().get(1);
        assertEquals(0.0150, sparse.ms(), 1e-12);
        assertEquals(0.0021, sparse.relErr(), 1e-12);
        assertEquals(0.015, o.results().get(2).ms(), 1e-12);
        assertTrue(o.results().get(3).note().contains("shape"), o.results().get(3).note());
    }

    @Test
    void torchAnchorSkipIsReported() {
        TorchAnchor.Outcome o = TorchAnchor.parse(List.of("{\"skip\": \"python3 has no usable torch\"}"), SHAPES, null, 3);
        assertEquals("python3 has no usable torch", o.skipReason());
        TorchAnchor.Outcome e = TorchAnchor.parse(List.of("Traceback ...", "ImportError: x"), SHAPES, null, 1);
        assertNotNull(e.skipReason());
        assertTrue(e.skipReason().contains("ImportError"), e.skipReason());
    }

    @Test
    void missingScriptOrPythonIsASkipNotACrash() {
        TorchAnchor.Outcome o = TorchAnchor.run(java.nio.file.Path.of("/nonexistent/torch_anchor.py"), "python3", SHAPES,
                List.of(1), 1, 5);
        assertTrue(o.skipReason().contains("not found"), o.skipReason());
    }

    @Test
    void runnerRejectsBadPlans() {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        List<GpuBenchmark> benches = GpuBenchmarks.standard();
        assertThrows(IllegalArgumentException.class, () -> new GpuBenchRunner(benches, SHAPES, List.of(0), 10, quiet));
        assertThrows(IllegalArgumentException.class, () -> new GpuBenchRunner(benches, List.of(), List.of(1), 10, quiet));
        assertThrows(IllegalArgumentException.class, () -> new GpuBenchRunner(benches, SHAPES, List.of(1), 0, quiet));
        assertTrue(benches.stream().anyMatch(b -> b.name().equals(GpuBenchmarks.BASELINE)));
    }
}
