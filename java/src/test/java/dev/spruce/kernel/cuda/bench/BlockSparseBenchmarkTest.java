package dev.spruce.kernel.cuda.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU-side parts of the block-sparse benchmark rows: the block selection and the registration. */
class BlockSparseBenchmarkTest {

    @Test
    void keepsTheBlocksOfLargestNorm() {
        // 2x4 matrix, 2x2 blocks: block norms^2 = 1+1+1+1 = 4 and 9+0+0+0 = 9
        float[] w = {1, 1, 3, 0, 1, 1, 0, 0};
        assertArrayEquals(new boolean[] {false, true}, BlockSparseBenchmark.largestBlocks(w, 2, 4, 2, 0.5));
        assertArrayEquals(new boolean[] {true, true}, BlockSparseBenchmark.largestBlocks(w, 2, 4, 2, 0.0));
        assertThrows(IllegalArgumentException.class, () -> new BlockSparseBenchmark(1.0));
    }

    @Test
    void registeredForGpuCheck() {
        for (String name : new String[] {"block32-50-bf16", "block32-90-bf16"}) {
            assertTrue(GpuBenchmarks.standard().stream().anyMatch(b -> b.name().equals(name)),
                    name + " must be found through META-INF/services");
        }
    }
}
