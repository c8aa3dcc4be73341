package dev.spruce.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** prune -> inspect -> eval through the command line, on a few sentences. */
class CliPipelineTest {
    @TempDir
    Path dir;

    private static String run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = cl.execute(args);
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code, err.toString());
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void pruneInspectEval() throws Exception {
        Path file = dir.resolve("out/w.safetensors");
        String pruned = run("prune", "-q", "--method", "wanda", "--ffn", "2:4", "--attention", "4:8", "--skip", "layer.0.",
                "--calib-sentences", "4", "--pooling", "cls", "-o", file.toString());
        assertTrue(pruned.contains("30 of 36 layers pruned"), pruned);
        assertTrue(Files.isRegularFile(file));
        String inspect = run("inspect", file.toString());
        assertTrue(inspect.contains("cls pooling"), inspect);
        assertTrue(inspect.contains("encoder.layer.1.intermediate.dense            sparse24"), inspect);
        assertTrue(inspect.lines().anyMatch(l -> l.startsWith("encoder.layer.2.attention.self.key") && l.contains("dense")
                && l.contains("50.0%")), "4:8 stays dense with its zeros:\n" + inspect);
        assertTrue(inspect.lines().anyMatch(l -> l.startsWith("encoder.layer.0.output.dense") && l.contains("0.0%")), inspect);
        String eval = run("eval", "-q", file.toString(), "--calib-sentences", "4", "--eval-sentences", "6");
        assertTrue(eval.contains("30 of 36 layers pruned") && eval.contains("cosine mean 0."), eval);
    }

    @Test
    void blockAndArmorFilesRoundTripThroughInspectAndEval() throws Exception {
        Path blocks = dir.resolve("b.safetensors");
        String pruned = run("prune", "-q", "--method", "lpvit", "--block", "32x32", "--block-budget", "0.3",
                "--calib-sentences", "12", "-o", blocks.toString());
        assertTrue(pruned.contains("lpvit 32x32, 30% of blocks") && pruned.contains(" block "), pruned);
        String inspect = run("inspect", blocks.toString());
        assertTrue(inspect.lines().anyMatch(l -> l.contains(" block ")), inspect);
        String eval = run("eval", "-q", blocks.toString(), "--calib-sentences", "4", "--eval-sentences", "6");
        assertTrue(eval.contains("cosine mean 0."), eval);

        Path armor = dir.resolve("a.safetensors");
        run("prune", "-q", "--method", "armor", "--armor-iterations", "2", "--skip", "layer.1.,layer.2.,layer.3.,layer.4.,layer.5.",
                "--calib-sentences", "4", "-o", armor.toString());
        inspect = run("inspect", armor.toString());
        assertTrue(inspect.contains("encoder.layer.0.intermediate.dense            armor"), inspect);
        eval = run("eval", "-q", armor.toString(), "--calib-sentences", "4", "--eval-sentences", "6");
        assertTrue(eval.contains("6 of 36 layers pruned"), eval);
    }
}
