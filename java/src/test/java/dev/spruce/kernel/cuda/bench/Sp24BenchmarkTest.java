package dev.spruce.kernel.cuda.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU-side parts of the 2:4 benchmark row: the pruning it applies and its registration. */
class Sp24BenchmarkTest {

    @Test
    void pruneKeepsTheTwoLargestMagnitudesOfEachGroup() {
        float[] w = {0.1f, -0.9f, 0.5f, 0.2f, /* */ 3f, 2f, -1f, 0f, /* */ 0f, 0f, 0f, -4f, /* */ 1f, 1f, 1f, 1f};
        Sp24Benchmark.prune24(w, 2, 8);
        assertArrayEquals(new float[]{0f, -0.9f, 0.5f, 0f, 3f, 2f, 0f, 0f, 0f, 0f, 0f, -4f, 1f, 1f, 0f, 0f}, w);
    }

    @Test
    void registeredForGpuCheck() {
        assertTrue(GpuBenchmarks.standard().stream().anyMatch(b -> b.name().equals("sp24-bf16")),
                "sp24-bf16 must be found through META-INF/services");
    }
}
