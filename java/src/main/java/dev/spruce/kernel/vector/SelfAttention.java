package dev.spruce.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.invoke.MethodHandles;

/**
 * Multi-head self-attention with the Vector API, one (sentence, head) task at a time.
 *
 * <p>Why it needs its own kernel: MiniLM's sentences are 10-40 tokens and its heads 32 wide, so every loop of the
 * plain version is shorter than C2's vectorised main loop and ran scalar; attention took about 30% of a batch's
 * forward time, as much as the 2:4 layers. Here the head's keys are transposed once per task into a zero-padded
 * [d][lenP] tile (lenP = len rounded up to whole vectors), so a query's scores are whole-vector FMAs over keys
 * (one broadcast of q_c per key vector), and the context is whole-vector FMAs over the head's d columns (one
 * broadcast of each probability). The softmax is vectorised too, with its own exponential (see {@link #softmax}).
 * Loaded once per vector width by {@link WidthSpecialized}.
 */
final class SelfAttention implements AttentionKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final int L = F.length();
    /** Butterfly steps of {@link LaneSum}: the softmax's sum has the same bits before and after JIT compilation. */
    private static final VectorShuffle<Float> SWAP8 = LaneSum.swap(F, 8);
    private static final VectorShuffle<Float> SWAP4 = LaneSum.swap(F, 4);
    private static final VectorShuffle<Float> SWAP2 = LaneSum.swap(F, 2);
    private static final VectorShuffle<Float> SWAP1 = LaneSum.swap(F, 1);
    /** exp(x) = 2^n e^r with n = round(x log2 e), r = x - n ln 2 (ln 2 in two parts, Cody-Waite). */
    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.42860677e-06f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float below 2^22 to the nearest integer. */
    private static final float ROUND = 12582912f;
    /** Arguments below this give ~1e-38 instead of a denormal or 0: nothing a softmax sum can see. */
    private static final float EXP_MIN = -87f;

    SelfAttention() {
    }

    @Override
    public String toString() {
        return "SelfAttention[" + BITS + " bits]";
    }

    @Override
    public void tasks(float[] q, float[] k, float[] v, float[] ctx, int[] offsets, int heads, int d, float scale,
                      int t0, int t1) {
        final int hid = heads * d;
        float[] kt = new float[0];
        float[] scores = new float[0];
        for (int task = t0; task < t1; task++) {
            final int b = task / heads;
            final int col = (task % heads) * d;
            final int off = offsets[b];
            final int len = offsets[b + 1] - off;
            if (len == 0) {
                continue;
            }
            final int lenP = (len + L - 1) / L * L;
            if (kt.length < d * lenP) {
                kt = new float[d * lenP];
            }
            if (scores.length < lenP) {
                scores = new float[lenP];
            }
            for (int c = 0; c < d; c++) {
                int row = c * lenP;
                for (int j = 0; j < len; j++) {
                    kt[row + j] = k[(off + j) * hid + col + c];
                }
                java.util.Arrays.fill(kt, row + len, row + lenP, 0f);
            }
            for (int i = 0; i < len; i++) {
                final int qi = (off + i) * hid + col;
                scores(q, qi, kt, d, lenP, scores);
                softmax(scores, len, lenP, scale);
                context(scores, len, v, off, hid, col, d, ctx, qi);
            }
        }
    }

    /**
     * scores[0..len) := softmax(scores / scale), the maximum subtracted before the exponential; entries from len to
     * lenP become 0. Vectorised, with its own exponential: the scalar reference's Math.exp per score was half of
     * the attention time at MiniLM's sentence lengths. Not the reference's bits (a degree-7 polynomial, within
     * 2 ulp of exp), but the same bits before and after JIT compilation (only lane-wise IEEE operations and a fixed
     * summation order).
     */
    private static void softmax(float[] s, int len, int lenP, float scale) {
        FloatVector negInf = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        FloatVector mx = negInf;
        for (int j = 0; j < lenP; j += L) {
            FloatVector v = FloatVector.fromArray(F, s, j).div(scale);
            v.intoArray(s, j);
            mx = mx.max(v.blend(negInf, F.indexInRange(j, len).not()));
        }
        float max = mx.reduceLanes(VectorOperators.MAX); // exact in any order
        FloatVector zero = FloatVector.zero(F);
        FloatVector sum = zero;
        for (int j = 0; j < lenP; j += L) {
            FloatVector e = exp(FloatVector.fromArray(F, s, j).sub(max)).blend(zero, F.indexInRange(j, len).not());
            e.intoArray(s, j);
            sum = sum.add(e);
        }
        float inv = 1f / LaneSum.sum(sum, SWAP8, SWAP4, SWAP2, SWAP1);
        for (int j = 0; j < lenP; j += L) {
            FloatVector.fromArray(F, s, j).mul(inv).intoArray(s, j);
        }
    }

    /** e^x lane-wise for x <= 0 (softmax arguments): Cody-Waite reduction, Taylor to degree 7, exponent by shift. */
    private static FloatVector exp(FloatVector x) {
        x = x.max(EXP_MIN);
        FloatVector n = x.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.neg().fma(FloatVector.broadcast(F, LN2_HI), x);
        r = n.neg().fma(FloatVector.broadcast(F, LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, 1f / 5040).fma(r, FloatVector.broadcast(F, 1f / 720));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        IntVector e = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(e.reinterpretAsFloats());
    }

    /** scores[j] = q_i . k_j for j < lenP (padding keys give 0), whole vectors, two at a time where possible. */
    private static void scores(float[] q, int qi, float[] kt, int d, int lenP, float[] scores) {
        int j = 0;
        for (; j + 2 * L <= lenP; j += 2 * L) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            for (int c = 0; c < d; c++) {
                FloatVector qc = FloatVector.broadcast(F, q[qi + c]);
                int row = c * lenP + j;
                a0 = qc.fma(FloatVector.fromArray(F, kt, row), a0);
                a1 = qc.fma(FloatVector.fromArray(F, kt, row + L), a1);
            }
            a0.intoArray(scores, j);
            a1.intoArray(scores, j + L);
        }
        for (; j < lenP; j += L) {
            FloatVector a0 = FloatVector.zero(F);
            for (int c = 0; c < d; c++) {
                a0 = FloatVector.broadcast(F, q[qi + c]).fma(FloatVector.fromArray(F, kt, c * lenP + j), a0);
            }
            a0.intoArray(scores, j);
        }
    }

    /** ctx[ci .. ci+d) = sum_j p_j v_j over the head's columns: whole vectors, then scalar columns past them. */
    private static void context(float[] p, int len, float[] v, int off, int hid, int col, int d, float[] ctx,
                                int ci) {
        final int whole = d / L * L;
        int c = 0;
        for (; c + 2 * L <= whole; c += 2 * L) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            for (int j = 0; j < len; j++) {
                FloatVector pj = FloatVector.broadcast(F, p[j]);
                int vj = (off + j) * hid + col + c;
                a0 = pj.fma(FloatVector.fromArray(F, v, vj), a0);
                a1 = pj.fma(FloatVector.fromArray(F, v, vj + L), a1);
            }
            a0.intoArray(ctx, ci + c);
            a1.intoArray(ctx, ci + c + L);
        }
        for (; c < whole; c += L) {
            FloatVector a0 = FloatVector.zero(F);
            for (int j = 0; j < len; j++) {
                a0 = FloatVector.broadcast(F, p[j]).fma(FloatVector.fromArray(F, v, (off + j) * hid + col + c), a0);
            }
            a0.intoArray(ctx, ci + c);
        }
        for (; c < d; c++) {
            float s = 0f;
            for (int j = 0; j < len; j++) {
                s = Math.fma(p[j], v[(off + j) * hid + col + c], s);
            }
            ctx[ci + c] = s;
        }
    }
}
