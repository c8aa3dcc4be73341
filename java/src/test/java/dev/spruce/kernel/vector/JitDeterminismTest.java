package dev.spruce.kernel.vector;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The first calls of a kernel run interpreted, later ones C2-compiled; both must give the same bits, or a model
 * does not reproduce its own embeddings. {@code reduceLanes(ADD)} broke this (its order is left open and C2's
 * differs); the GEMV kernels now sum lanes in a fixed order ({@link LaneSum}).
 */
class JitDeterminismTest {
    private static final int CALLS = 4000;

    @Test
    void gemvAndSpmv24GiveTheSameBitsBeforeAndAfterCompilation() {
        Backend vb = Backends.vector().orElse(null);
        assumeTrue(vb != null, "Vector API backend not available");
        Random r = new Random(11);
        int m = 96;
        int k = 384;
        float[] w = new float[m * k];
        for (int i = 0; i < w.length; i += 4) {
            w[i] = (float) r.nextGaussian();
            w[i + 3] = (float) r.nextGaussian();
        }
        float[] x = new float[2 * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        try (Matrix wm = Matrix.of(w, m, k); Sparse24 s = Sparse24.pack(wm, DType.F32);
             Matrix x1 = Matrix.of(java.util.Arrays.copyOf(x, k), 1, k); Matrix x2 = Matrix.of(x, 2, k);
             Matrix y1 = Matrix.allocate(1, m, DType.F32); Matrix y2 = Matrix.allocate(2, m, DType.F32)) {
            vb.gemv(wm, x1, y1);
            float[] dense1 = y1.toFloatArray();
            vb.spmm24(s, x2, y2);
            float[] sparse1 = y2.toFloatArray();
            for (int i = 0; i < CALLS; i++) {
                vb.gemv(wm, x1, y1);
                vb.spmm24(s, x2, y2);
            }
            assertArrayEquals(dense1, y1.toFloatArray(), 0f, "dense GEMV changed bits after JIT compilation");
            assertArrayEquals(sparse1, y2.toFloatArray(), 0f, "2:4 product changed bits after JIT compilation");
        }
    }

    @Test
    void attentionGivesTheSameBitsBeforeAndAfterCompilation() {
        // The softmax's exponential and sum are the kernel's own (a polynomial, a fixed lane order), so the
        // probabilities must not change when C2 takes over from the interpreter.
        Backend vb = new VectorBackend(0, 1);
        Random r = new Random(12);
        int heads = 2;
        int d = 32;
        int[] offsets = {0, 25, 42};
        int n = offsets[offsets.length - 1];
        float[] q = new float[n * heads * d];
        float[] k = new float[q.length];
        float[] v = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) r.nextGaussian();
            k[i] = (float) r.nextGaussian();
            v[i] = (float) r.nextGaussian();
        }
        float[] ctx = new float[q.length];
        vb.attention(q, k, v, ctx, offsets, heads, d, (float) Math.sqrt(d));
        float[] first = ctx.clone();
        for (int i = 0; i < CALLS; i++) {
            vb.attention(q, k, v, ctx, offsets, heads, d, (float) Math.sqrt(d));
        }
        assertArrayEquals(first, ctx, 0f, "attention changed bits after JIT compilation");
    }
}
