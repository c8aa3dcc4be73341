package dev.spruce.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;

/**
 * Dense GEMM on panel-packed weights: register tiles of up to 6 tokens x 2 vectors of output features.
 *
 * <p>WHY this orientation for a model's layers: {@link DenseGemm} puts tokens on the lanes, so a batch is
 * padded to a multiple of the lane count (a 25-token sentence fills 32 lanes: 22% of its multiply-adds are
 * waste, and below 16 tokens the product falls back to dot products). Here the output features are on the
 * lanes and tokens are broadcast, so any token count runs in whole tiles (6, then 3, 2 or 1 for the rest),
 * and each panel's weights are one contiguous stream read from memory once per call. The price is the packed
 * copy ({@link DensePanels}), made once per layer. Measured here (2026-11-30, MiniLM shapes, one thread,
 * weights hot): 1.05-3x {@link DenseGemm} at 7-25 tokens; at 32-640 tokens 0.9-1.4x (a timing loop said 1.0-1.4x,
 * JMH in a noisier hour 0.87-1.0x), and in the MiniLM forward at batch 32 no slower.
 *
 * <p>Blocking: per panel, K is cut into blocks of {@link #KC}, so the KC x NR slab of weights (32 KB at 512
 * bits) stays in L1 while every token tile sweeps over it; tiles keep partial sums in a small heap buffer
 * (whole-vector loads and stores once per K-block) that is copied into Y once per panel. Everything the
 * inner loops touch is a heap array: no memory-segment accesses whose inlining depends on JDK-wide type
 * profiles. Loaded once per vector width by {@link WidthSpecialized}.
 */
final class PanelGemm implements PanelKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final int L = F.length();
    /** Output features per panel: two vectors. */
    private static final int NR = 2 * L;
    /** Tokens per full register tile. */
    private static final int MR = 6;
    /** K-block: a KC x NR weight slab (32 KB at 512 bits) stays in L1 while the token tiles sweep it. */
    private static final int KC = 256;
    private static final ValueLayout.OfFloat JF = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final boolean FMA = VectorConstants.FAST_FMA;

    PanelGemm() {
    }

    @Override
    public String toString() {
        return "PanelGemm[" + BITS + " bits]";
    }

    @Override
    public int panelRows() {
        return NR;
    }

    @Override
    public void panels(float[] wp, int m, int k, float[] x, int n, MemorySegment y, float[] bias, int p0,
                       int p1) {
        // Partial sums of one panel for every token, [token][NR]; workers take TILE_SUMS, the caller's X
        // copy lives in PACKED_X, so the two never share a buffer even when the caller is the only worker.
        float[] acc = PackBuffer.TILE_SUMS.get((long) n * NR);
        for (int p = p0; p < p1; p++) {
            int pb = p * k * NR;
            // Zeroed once, then every K-block loads and stores whole vectors (no branch-merged vectors,
            // which C2 may box).
            java.util.Arrays.fill(acc, 0, n * NR, 0f);
            for (int k0 = 0; k0 < k; k0 += KC) {
                int kl = Math.min(KC, k - k0);
                int wb = pb + k0 * NR;
                int t = 0;
                for (; t + MR <= n; t += MR) {
                    tile6(wp, wb, kl, x, t * k + k0, k, acc, t * NR);
                }
                if (n - t >= 3) {
                    tile3(wp, wb, kl, x, t * k + k0, k, acc, t * NR);
                    t += 3;
                }
                if (n - t == 2) {
                    tile2(wp, wb, kl, x, t * k + k0, k, acc, t * NR);
                } else if (n - t == 1) {
                    tile1(wp, wb, kl, x, t * k + k0, acc, t * NR);
                }
            }
            int c0 = p * NR;
            int cols = Math.min(NR, m - c0);
            if (cols < NR) {
                partialPanelOut(acc, n, m, c0, cols, y, bias);
            } else if (bias == null) {
                panelOut(acc, n, m, c0, y);
            } else {
                panelOutWithBias(acc, n, m, c0, y, bias);
            }
        }
    }

    /*
     * Sums out to Y, one token row (NR outputs) at a time: two vector stores per row for a whole panel, where a
     * MemorySegment.copy per row cost 6% of MiniLM's batch-1 forward (16K small copies per sentence). Separate
     * methods with and without the bias, because a vector merged from two branches may be boxed by C2.
     */

    private static void panelOut(float[] acc, int n, int m, int c0, MemorySegment y) {
        for (int t = 0; t < n; t++) {
            long o = 4L * ((long) t * m + c0);
            FloatVector.fromArray(F, acc, t * NR).intoMemorySegment(y, o, NO);
            FloatVector.fromArray(F, acc, t * NR + L).intoMemorySegment(y, o + 4L * L, NO);
        }
    }

    private static void panelOutWithBias(float[] acc, int n, int m, int c0, MemorySegment y, float[] bias) {
        FloatVector b0 = FloatVector.fromArray(F, bias, c0);
        FloatVector b1 = FloatVector.fromArray(F, bias, c0 + L);
        for (int t = 0; t < n; t++) {
            long o = 4L * ((long) t * m + c0);
            FloatVector.fromArray(F, acc, t * NR).add(b0).intoMemorySegment(y, o, NO);
            FloatVector.fromArray(F, acc, t * NR + L).add(b1).intoMemorySegment(y, o + 4L * L, NO);
        }
    }

    /** The last panel of a layer whose outputs are not a multiple of NR: element copies of the valid columns. */
    private static void partialPanelOut(float[] acc, int n, int m, int c0, int cols, MemorySegment y, float[] bias) {
        for (int t = 0; t < n; t++) {
            if (bias != null) {
                for (int j = 0, a = t * NR; j < cols; j++) {
                    acc[a + j] += bias[c0 + j];
                }
            }
            MemorySegment.copy(acc, t * NR, y, JF, 4L * ((long) t * m + c0), cols);
        }
    }

    private static FloatVector fma(FloatVector a, FloatVector b, FloatVector c) {
        return FMA ? a.fma(b, c) : a.mul(b).add(c);
    }

    /** 6 tokens x 2 vectors of outputs; token j's sums at acc[a + j*NR]. */
    private static void tile6(float[] wp, int wb, int kl, float[] x, int xb, int k, float[] acc, int a) {
        FloatVector c00 = FloatVector.fromArray(F, acc, a), c01 = FloatVector.fromArray(F, acc, a + L);
        FloatVector c10 = FloatVector.fromArray(F, acc, a + NR), c11 = FloatVector.fromArray(F, acc, a + NR + L);
        FloatVector c20 = FloatVector.fromArray(F, acc, a + 2 * NR), c21 = FloatVector.fromArray(F, acc, a + 2 * NR + L);
        FloatVector c30 = FloatVector.fromArray(F, acc, a + 3 * NR), c31 = FloatVector.fromArray(F, acc, a + 3 * NR + L);
        FloatVector c40 = FloatVector.fromArray(F, acc, a + 4 * NR), c41 = FloatVector.fromArray(F, acc, a + 4 * NR + L);
        FloatVector c50 = FloatVector.fromArray(F, acc, a + 5 * NR), c51 = FloatVector.fromArray(F, acc, a + 5 * NR + L);
        int x0 = xb, x1 = xb + k, x2 = xb + 2 * k, x3 = xb + 3 * k, x4 = xb + 4 * k, x5 = xb + 5 * k;
        for (int kk = 0; kk < kl; kk++) {
            int wi = wb + kk * NR;
            FloatVector w0 = FloatVector.fromArray(F, wp, wi);
            FloatVector w1 = FloatVector.fromArray(F, wp, wi + L);
            FloatVector v = FloatVector.broadcast(F, x[x0 + kk]);
            c00 = fma(v, w0, c00);
            c01 = fma(v, w1, c01);
            v = FloatVector.broadcast(F, x[x1 + kk]);
            c10 = fma(v, w0, c10);
            c11 = fma(v, w1, c11);
            v = FloatVector.broadcast(F, x[x2 + kk]);
            c20 = fma(v, w0, c20);
            c21 = fma(v, w1, c21);
            v = FloatVector.broadcast(F, x[x3 + kk]);
            c30 = fma(v, w0, c30);
            c31 = fma(v, w1, c31);
            v = FloatVector.broadcast(F, x[x4 + kk]);
            c40 = fma(v, w0, c40);
            c41 = fma(v, w1, c41);
            v = FloatVector.broadcast(F, x[x5 + kk]);
            c50 = fma(v, w0, c50);
            c51 = fma(v, w1, c51);
        }
        c00.intoArray(acc, a);
        c01.intoArray(acc, a + L);
        c10.intoArray(acc, a + NR);
        c11.intoArray(acc, a + NR + L);
        c20.intoArray(acc, a + 2 * NR);
        c21.intoArray(acc, a + 2 * NR + L);
        c30.intoArray(acc, a + 3 * NR);
        c31.intoArray(acc, a + 3 * NR + L);
        c40.intoArray(acc, a + 4 * NR);
        c41.intoArray(acc, a + 4 * NR + L);
        c50.intoArray(acc, a + 5 * NR);
        c51.intoArray(acc, a + 5 * NR + L);
    }

    /** 3 tokens (the rest of a batch). */
    private static void tile3(float[] wp, int wb, int kl, float[] x, int xb, int k, float[] acc, int a) {
        FloatVector c00 = FloatVector.fromArray(F, acc, a), c01 = FloatVector.fromArray(F, acc, a + L);
        FloatVector c10 = FloatVector.fromArray(F, acc, a + NR), c11 = FloatVector.fromArray(F, acc, a + NR + L);
        FloatVector c20 = FloatVector.fromArray(F, acc, a + 2 * NR), c21 = FloatVector.fromArray(F, acc, a + 2 * NR + L);
        int x0 = xb, x1 = xb + k, x2 = xb + 2 * k;
        for (int kk = 0; kk < kl; kk++) {
            int wi = wb + kk * NR;
            FloatVector w0 = FloatVector.fromArray(F, wp, wi);
            FloatVector w1 = FloatVector.fromArray(F, wp, wi + L);
            FloatVector v = FloatVector.broadcast(F, x[x0 + kk]);
            c00 = fma(v, w0, c00);
            c01 = fma(v, w1, c01);
            v = FloatVector.broadcast(F, x[x1 + kk]);
            c10 = fma(v, w0, c10);
            c11 = fma(v, w1, c11);
            v = FloatVector.broadcast(F, x[x2 + kk]);
            c20 = fma(v, w0, c20);
            c21 = fma(v, w1, c21);
        }
        c00.intoArray(acc, a);
        c01.intoArray(acc, a + L);
        c10.intoArray(acc, a + NR);
        c11.intoArray(acc, a + NR + L);
        c20.intoArray(acc, a + 2 * NR);
        c21.intoArray(acc, a + 2 * NR + L);
    }

    /** 2 tokens (the rest of a batch). */
    private static void tile2(float[] wp, int wb, int kl, float[] x, int xb, int k, float[] acc, int a) {
        FloatVector c00 = FloatVector.fromArray(F, acc, a), c01 = FloatVector.fromArray(F, acc, a + L);
        FloatVector c10 = FloatVector.fromArray(F, acc, a + NR), c11 = FloatVector.fromArray(F, acc, a + NR + L);
        int x0 = xb, x1 = xb + k;
        for (int kk = 0; kk < kl; kk++) {
            int wi = wb + kk * NR;
            FloatVector w0 = FloatVector.fromArray(F, wp, wi);
            FloatVector w1 = FloatVector.fromArray(F, wp, wi + L);
            FloatVector v = FloatVector.broadcast(F, x[x0 + kk]);
            c00 = fma(v, w0, c00);
            c01 = fma(v, w1, c01);
            v = FloatVector.broadcast(F, x[x1 + kk]);
            c10 = fma(v, w0, c10);
            c11 = fma(v, w1, c11);
        }
        c00.intoArray(acc, a);
        c01.intoArray(acc, a + L);
        c10.intoArray(acc, a + NR);
        c11.intoArray(acc, a + NR + L);
    }

    /** 1 token: a GEMV over the panel, memory-bound like any. */
    private static void tile1(float[] wp, int wb, int kl, float[] x, int xb, float[] acc, int a) {
        FloatVector c0 = FloatVector.fromArray(F, acc, a), c1 = FloatVector.fromArray(F, acc, a + L);
        for (int kk = 0; kk < kl; kk++) {
            int wi = wb + kk * NR;
            FloatVector v = FloatVector.broadcast(F, x[xb + kk]);
            c0 = fma(v, FloatVector.fromArray(F, wp, wi), c0);
            c1 = fma(v, FloatVector.fromArray(F, wp, wi + L), c1);
        }
        c0.intoArray(acc, a);
        c1.intoArray(acc, a + L);
    }
}
