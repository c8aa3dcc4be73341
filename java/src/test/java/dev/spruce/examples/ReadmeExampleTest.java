package dev.spruce.examples;

import dev.spruce.calib.LayerStats;
import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Op;
import dev.spruce.layout.Sparse24;
import dev.spruce.prune.Pattern;
import dev.spruce.prune.PruneResult;
import dev.spruce.prune.SparseGptPruner;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The README's "Using Spruce from Java" example, verbatim between the BEGIN/END markers, so the documented code
 * compiles and gives the right answer.
 */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    @Test
    void pruneOneLayerTo24AndMultiply() throws Exception {
        int m = 96;
        int k = 64;
        int n = 5;
        Random rnd = new Random(3);
        float[] weights = new float[m * k];
        float[][] activations = new float[200][k];
        float[] tokens = new float[n * k];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) rnd.nextGaussian();
        }
        for (float[] row : activations) {
            for (int j = 0; j < k; j++) {
                row[j] = (float) rnd.nextGaussian() * (1 + j % 3);
            }
        }
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (float) rnd.nextGaussian();
        }
        Path file = dir.resolve("mlp.up.safetensors");
        float[] result;
        float[] reference;
        // BEGIN README EXAMPLE
        // The layer's weights (out x in, row-major) and a sample of its inputs (tokens x in) from your own model.
        LayerStats stats = LayerStats.full("mlp.up", k);
        stats.accumulate(activations);                  // call once per calibration batch
        try (Matrix w = Matrix.of(weights, m, k);
             PruneResult pruned = new SparseGptPruner().prune(w, stats, Pattern.TWO_FOUR);
             Sparse24 s = Sparse24.pack(pruned.weights(), DType.F32);
             Matrix x = Matrix.of(tokens, n, k);
             Matrix y = Matrix.allocate(n, m, DType.F32)) {
            Backend cpu = Backends.bestCpu(Op.SPMM24, DType.F32);   // Vector API when present, else scalar
            cpu.spmm24(s, x, y);                        // row t of y = S times row t of x
            s.save(file);                               // Sparse24.load(file) reads it back bit for bit
            System.out.printf("%s: relative output error %.4f%n", pruned.pruner(), pruned.relativeLoss().orElseThrow());
            // END README EXAMPLE
            result = y.toFloatArray();
            try (Matrix dense = s.toDense(); Matrix yRef = Matrix.allocate(n, m, DType.F32)) {
                Backends.scalar().gemm(dense, x, yRef);
                reference = yRef.toFloatArray();
            }
            try (Sparse24 back = Sparse24.load(file); Matrix a = s.toDense(); Matrix b = back.toDense()) {
                assertArrayEquals(a.toFloatArray(), b.toFloatArray());
            }
        }
        assertEquals(reference.length, result.length);
        for (int i = 0; i < result.length; i++) {
            assertEquals(reference[i], result[i], 1e-4 * (1 + Math.abs(reference[i])), "element " + i);
        }
    }

    @Test
    void readmeShowsThisExampleVerbatim() throws Exception {
        Path here = Path.of("src/test/java/dev/spruce/examples/ReadmeExampleTest.java");
        String src = java.nio.file.Files.readString(here);
        String begin = "// BEGIN README EXAMPLE\n";
        String block = src.substring(src.indexOf(begin) + begin.length(), src.indexOf("            // END README EXAMPLE"));
        String readme = java.nio.file.Files.readString(Path.of("../README.md"));
        for (String line : block.split("\n")) {
            String code = line.strip();
            if (!code.isEmpty()) {
                org.junit.jupiter.api.Assertions.assertTrue(readme.contains(code), "README lacks: " + code);
            }
        }
    }
}
