package dev.spruce.model;

import dev.spruce.kernel.scalar.ScalarBackend;
import dev.spruce.layout.BlockSparseFixtures;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockSparseLinearTest {

    @Test
    void forwardEqualsDenseLinearOnTheSameWeightsPlusBias() {
        SplittableRandom rnd = new SplittableRandom(11);
        int out = 64;
        int in = 96;
        boolean[] keep = BlockSparseFixtures.randomKeep(rnd, (out / 16) * (in / 32), 0.5);
        float[] w = BlockSparseFixtures.randomDense(rnd, out, in, 16, 32, keep);
        float[] bias = new float[out];
        for (int i = 0; i < out; i++) {
            bias[i] = i * 0.25f - 3;
        }
        float[] xs = new float[5 * in];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) rnd.nextDouble() - 0.5f;
        }
        try (Matrix wm = Matrix.of(w, out, in);
             BlockSparseLinear block = BlockSparseLinear.pack("fc", wm, 16, 32, keep, bias, DType.F32);
             DenseLinear dense = new DenseLinear("fc", Matrix.of(w, out, in), bias, new ScalarBackend(1));
             Matrix x = Matrix.of(xs, 5, in); Matrix y1 = Matrix.allocate(5, out, DType.F32);
             Matrix y2 = Matrix.allocate(5, out, DType.F32)) {
            assertEquals("block", block.kind());
            assertEquals(in, block.inFeatures());
            assertEquals(out, block.outFeatures());
            assertEquals(block.weight().byteSize() + 4L * out, block.bytes());
            assertTrue(block.bytes() < dense.bytes());
            block.forward(x, y1);
            dense.forward(x, y2);
            float[] a = y1.toFloatArray();
            float[] b = y2.toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], a[i], 1e-4f, "output " + i);
            }
        }
    }

    @Test
    void badBiasIsRejectedAndTheWeightsStayTheCallers() {
        try (Matrix wm = Matrix.allocate(32, 32, DType.F32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BlockSparseLinear.pack("fc", wm, 16, 16, new boolean[4], new float[3], DType.F32));
            assertTrue(e.getMessage().contains("bias has 3 values"), e.getMessage());
            assertTrue(!wm.isClosed());
        }
    }
}
