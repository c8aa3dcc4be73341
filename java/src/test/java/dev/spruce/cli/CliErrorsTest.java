package dev.spruce.cli;

import dev.spruce.model.MiniLm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gives one line naming the problem, a non-zero exit code and no stack trace. */
class CliErrorsTest {
    @TempDir
    Path dir;

    private record Run(int code, String err) {
    }

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int code = cl.execute(args);
        return new Run(code, err.toString());
    }

    private static void assertOneLineError(Run r, String... fragments) {
        assertNotEquals(0, r.code(), r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), "one line expected, got:\n" + r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception in"), r.err());
        for (String f : fragments) {
            assertTrue(lines.get(0).contains(f), "'" + f + "' missing from: " + lines.get(0));
        }
    }

    @Test
    void unknownMethodPatternAndOption() {
        assertOneLineError(run("prune", "-q", "--method", "obs"), "spruce prune:", "unknown method 'obs'");
        assertOneLineError(run("prune", "-q", "--pattern", "3:5"), "unknown sparsity '3:5'");
        assertOneLineError(run("prune", "-q", "--attention", "half"), "unknown sparsity 'half'");
        assertOneLineError(run("demo", "-q", "--methods", "magnitude,foo"), "unknown method 'foo'");
        assertOneLineError(run("prune", "--bogus"), "spruce prune:", "--bogus");
        assertOneLineError(run("eval", "--calib-sentences", "0"), "--calib-sentences must be >= 1");
        assertOneLineError(run("eval", "-q", "--pooling", "max"), "spruce eval:", "unknown pooling 'max'");
        assertOneLineError(run("bench", "--e2e-seconds", "0"), "spruce bench:", "--e2e-seconds must be > 0");
        assertOneLineError(run("bench", "--jar", "/nonexistent/benchmarks.jar"), "no benchmarks jar at");
    }

    @Test
    void missingCorruptAndTruncatedOnnx() throws Exception {
        assertOneLineError(run("prune", "-q", "--model", dir.resolve("none.onnx").toString()), "model file not found", "none.onnx");
        Path corrupt = dir.resolve("corrupt.onnx");
        Files.write(corrupt, "this is not a protobuf at all \u0000\u00ff\u00fe".repeat(20).getBytes());
        assertOneLineError(run("prune", "-q", "--model", corrupt.toString()), "corrupt.onnx");
        Path truncated = dir.resolve("truncated.onnx");
        try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(MiniLm.ONNX_RESOURCE)) {
            Files.write(truncated, in.readNBytes(200_000));
        }
        assertOneLineError(run("prune", "-q", "--model", truncated.toString()), "truncated.onnx");
    }

    @Test
    void missingCorruptAndTruncatedSafetensors() throws Exception {
        assertOneLineError(run("inspect", dir.resolve("none.safetensors").toString()), "not found", "none.safetensors");
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, new byte[] {(byte) 200, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
        assertOneLineError(run("inspect", bad.toString()), "bad.safetensors");
        assertOneLineError(run("eval", "-q", bad.toString()), "bad.safetensors");
    }

    @Test
    void poolingThatContradictsThePackedFile() throws Exception {
        Path file = dir.resolve("cls.safetensors");
        dev.spruce.cli.pipeline.PackedModel.write(dev.spruce.model.Shared.encoder().model(),
                dev.spruce.cli.pipeline.ModelSource.embedded().tokenizerRef(), dev.spruce.model.Pooling.CLS,
                java.util.Map.of(), file);
        assertOneLineError(run("eval", "-q", file.toString(), "--pooling", "mean"),
                "spruce eval:", "--pooling mean differs from the packed model's cls pooling");
        assertOneLineError(run("bench-model", "--packed", file.toString(), "--pooling", "mean"),
                "--pooling mean differs from the packed model's cls pooling");
    }

    @Test
    void emptyCorpus() throws Exception {
        Path empty = dir.resolve("empty.txt");
        Files.write(empty, List.of("", "   ", ""));
        assertOneLineError(run("prune", "-q", "--calib-corpus", empty.toString()), "empty.txt", "empty");
        assertOneLineError(run("eval", "-q", "--eval-corpus", dir.resolve("nope.txt").toString()), "nope.txt");
    }

    @Test
    void messagesNeverSayNull() {
        assertEquals("x", Main.message(new IllegalStateException("x\nsecond line")));
        assertTrue(Main.message(new RuntimeException(new java.io.IOException("disk full"))).contains("disk full"));
        assertTrue(Main.message(new NullPointerException()).contains("NullPointerException"));
        assertTrue(new ArrayList<>(List.of(Main.message(new RuntimeException((String) null)))).get(0).length() > 10);
    }
}
