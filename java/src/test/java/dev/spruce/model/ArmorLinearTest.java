package dev.spruce.model;

import dev.spruce.kernel.Backends;
import dev.spruce.kernel.scalar.ScalarBackend;
import dev.spruce.layout.ArmorFixtures;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArmorLinearTest {

    @Test
    void forwardIsTheDenseProductPlusBias() {
        SplittableRandom rnd = new SplittableRandom(21);
        int m = 32;
        int k = 48;
        int n = 3;
        float[] xs = new float[n * k];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        ArmorLayout l = ArmorFixtures.random(rnd, m, k, 16, 16, DType.BF16, true);
        float[] bias = l.bias();
        try (ArmorLinear lin = new ArmorLinear("layer.0.ffn", l); Matrix w = l.toDense(); Matrix x = Matrix.of(xs, n, k);
             Matrix y = Matrix.allocate(n, m, DType.F32)) {
            assertEquals("armor", lin.kind());
            assertEquals(k, lin.inFeatures());
            assertEquals(m, lin.outFeatures());
            assertEquals(l.byteSize(), lin.bytes());
            assertNull(lin.bias(), "the bias lives in the layout");
            assertEquals(Backends.bestCpu(dev.spruce.kernel.Op.ARMOR, DType.BF16).name(), lin.backend().name());
            lin.forward(x, y);
            float[] wd = w.toFloatArray();
            for (int t = 0; t < n; t++) {
                for (int r = 0; r < m; r++) {
                    double want = bias[r];
                    double mag = Math.abs(bias[r]);
                    for (int c = 0; c < k; c++) {
                        want += (double) wd[r * k + c] * xs[t * k + c];
                        mag += Math.abs((double) wd[r * k + c] * xs[t * k + c]);
                    }
                    assertEquals(want, y.get(t, r), 1e-5 * (1 + mag), "y[" + t + "][" + r + "]");
                }
            }
        }
        assertTrue(l.isClosed(), "closing the layer closes its layout");
    }

    @Test
    void refusesABackendWithoutArmorAndAClosedLayout() {
        ArmorLayout l = ArmorFixtures.random(new SplittableRandom(2), 8, 16, 4, 4, DType.F16, false);
        Backends.vector().ifPresent(v -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ArmorLinear("q", l, v));
            assertTrue(e.getMessage().contains("ARMOR"), e.getMessage());
        });
        try (ArmorLinear lin = new ArmorLinear("q", l, new ScalarBackend(1))) {
            assertEquals("scalar", lin.backend().name());
        }
        assertThrows(IllegalStateException.class, () -> new ArmorLinear("q", l));
    }
}
