package dev.spruce.kernel.vector;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.scalar.ScalarBackend;
import dev.spruce.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Self-attention of the scalar reference and the Vector kernel (every forced width, 1 and 3 threads) against a
 * float64 softmax-attention, on sentence lengths around the vector widths (1, 3, 15, 16, 17, 33, 130), head
 * widths with and without a column tail (4, 12, 32, 64) and an empty sentence.
 */
class AttentionKernelTest {

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int[][] lengthSets = {{1}, {3, 17}, {15, 16, 0, 33}, {130}};
        int[][] headShapes = {{1, 4}, {2, 12}, {12, 32}, {3, 64}};
        for (int bits : VectorBackendTest.widths()) {
            for (int[] lengths : lengthSets) {
                for (int[] hs : headShapes) {
                    out.add(Arguments.of(bits, lengths, hs[0], hs[1], 1 + (lengths.length % 2) * 2));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} bits lengths={1} heads={2} d={3} threads={4}")
    @MethodSource("cases")
    void scalarAndVectorMatchFloat64(int bits, int[] lengths, int heads, int d, int threads) {
        int[] offsets = new int[lengths.length + 1];
        for (int b = 0; b < lengths.length; b++) {
            offsets[b + 1] = offsets[b] + lengths[b];
        }
        int n = offsets[lengths.length];
        int hid = heads * d;
        SplittableRandom rnd = new SplittableRandom(n * 31L + hid + bits);
        float[] q = random(rnd, n * hid, 2.0);
        float[] k = random(rnd, n * hid, 2.0);
        float[] v = random(rnd, n * hid, 1.0);
        float scale = (float) Math.sqrt(d);
        double[] exact = reference(q, k, v, offsets, heads, d, scale);
        for (Backend b : new Backend[] {new ScalarBackend(threads), new VectorBackend(bits, threads)}) {
            assertTrue(b.supports(Op.ATTENTION, DType.F32));
            float[] ctx = new float[n * hid];
            java.util.Arrays.fill(ctx, Float.NaN);
            b.attention(q, k, v, ctx, offsets, heads, d, scale);
            for (int i = 0; i < ctx.length; i++) {
                // Probabilities sum to 1 and |v| <= 1: float32 rounding of ~len terms bounds the error.
                double tol = 1e-5 * (1 + Math.abs(exact[i])) + 2e-6 * Math.sqrt(n + 1);
                if (!(Math.abs(ctx[i] - exact[i]) <= tol)) {
                    fail(b + ": ctx[" + i + "] = " + ctx[i] + ", float64 says " + exact[i]);
                }
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        Backend[] backends = {new ScalarBackend(1), new VectorBackend(0, 1)};
        float[] a = new float[8];
        for (Backend b : backends) {
            String m = assertThrows(IllegalArgumentException.class,
                    () -> b.attention(a, a.clone(), a.clone(), new float[6], new int[] {0, 2}, 2, 2, 1f)).getMessage();
            assertTrue(m.contains("ctx 6"), m);
            m = assertThrows(IllegalArgumentException.class,
                    () -> b.attention(a, a.clone(), a.clone(), new float[8], new int[] {0, 3, 2}, 2, 2, 1f)).getMessage();
            assertTrue(m.contains("must not decrease"), m);
            m = assertThrows(IllegalArgumentException.class,
                    () -> b.attention(a, a.clone(), a.clone(), new float[8], new int[] {0, 2}, 2, 2, 0f)).getMessage();
            assertTrue(m.contains("scale"), m);
            m = assertThrows(IllegalArgumentException.class,
                    () -> b.attention(a, a.clone(), a, a, new int[] {0, 2}, 2, 2, 1f)).getMessage();
            assertTrue(m.contains("alias"), m);
            assertThrows(IllegalArgumentException.class,
                    () -> b.attention(null, a, a, new float[8], new int[] {0, 2}, 2, 2, 1f));
        }
    }

    @Test
    void oneTokenSentenceCopiesItsValues() {
        float[] q = {1, 2, 3, 4};
        float[] k = {5, 6, 7, 8};
        float[] v = {0.5f, -1, 2, 3};
        float[] ctx = new float[4];
        new VectorBackend(0, 1).attention(q, k, v, ctx, new int[] {0, 1}, 2, 2, 1.4f);
        for (int i = 0; i < 4; i++) {
            assertEquals(v[i], ctx[i], 0f);
        }
    }

    private static float[] random(SplittableRandom rnd, int n, double range) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * range);
        }
        return a;
    }

    private static double[] reference(float[] q, float[] k, float[] v, int[] offsets, int heads, int d,
                                      float scale) {
        int hid = heads * d;
        double[] out = new double[q.length];
        for (int b = 0; b + 1 < offsets.length; b++) {
            int off = offsets[b];
            int len = offsets[b + 1] - off;
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < len; i++) {
                    double[] s = new double[len];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < len; j++) {
                        for (int c = 0; c < d; c++) {
                            s[j] += (double) q[(off + i) * hid + h * d + c] * k[(off + j) * hid + h * d + c];
                        }
                        s[j] /= scale;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < len; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < len; j++) {
                        for (int c = 0; c < d; c++) {
                            out[(off + i) * hid + h * d + c] += s[j] / sum * v[(off + j) * hid + h * d + c];
                        }
                    }
                }
            }
        }
        return out;
    }
}
