package dev.spruce.kernel.cuda.bench;

import dev.spruce.kernel.scalar.ScalarBackend;
import dev.spruce.layout.ArmorFixtures;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ARMOR gpu-check row without a GPU: registration, block-size choice, and that its verifier can fail. */
class ArmorBenchmarkTest {

    @Test
    void isRegisteredAndChoosesTheBlockSize() {
        assertTrue(GpuBenchmarks.standard().stream().anyMatch(b -> b.name().equals("armor-bf16")),
                "armor-bf16 must be found through META-INF/services");
        assertEquals(128, ArmorBenchmark.blockSize(4096, 11008));
        assertEquals(128, ArmorBenchmark.blockSize(384, 1536));
        assertEquals(64, ArmorBenchmark.blockSize(768, 3072 + 64));
    }

    @Test
    void chainErrorAcceptsTheScalarResultAndRejectsAWrongOne() {
        SplittableRandom rnd = new SplittableRandom(6);
        try (ArmorLayout l = ArmorFixtures.random(rnd, 64, 128, 32, 16, DType.BF16, true);
             Matrix x = Matrix.of(random(rnd, 9 * 128), 9, 128);
             Matrix y = Matrix.allocate(9, 64, DType.F32)) {
            new ScalarBackend(1).armor(l, x, y);
            assertTrue(ArmorBenchmark.chainError(l, x, y) < 1e-6);
            y.set(8, 5, y.get(8, 5) + 1f); // the last token is always sampled
            assertTrue(ArmorBenchmark.chainError(l, x, y) > 1e-3);
            y.set(3, 3, Float.NaN);
            assertEquals(Double.POSITIVE_INFINITY, ArmorBenchmark.chainError(l, x, y));
        }
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }
}
