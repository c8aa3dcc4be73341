package dev.spruce.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;

/**
 * Dense GEMV (and GEMM for a handful of tokens) as dot products along K. The problem is memory-bound:
 * every weight is used once per token, so the kernel streams W exactly once and keeps the FMA units
 * fed from registers: 4 weight rows share each load of x, and two k-steps are in flight per row
 * (8 independent accumulators hide the FMA latency). 16-bit weights are widened in registers
 * (bf16: shift into the high half; f16: exponent rebias with blends), so they cost half the bandwidth.
 * Row and token tails reuse the full kernel on clamped indices and drop the duplicate results,
 * so there is one kernel shape to tune. Loaded once per vector width by {@link WidthSpecialized}.
 */
final class DenseGemv implements DotKernel {
    private static final int BITS = WidthSpecialized.bits(MethodHandles.lookup());
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(BITS / 2));
    private static final int L = F.length();
    /** Butterfly steps of {@link LaneSum}: fixed-order lane sums, the same bits before and after JIT compilation. */
    private static final VectorShuffle<Float> SWAP8 = LaneSum.swap(F, 8);
    private static final VectorShuffle<Float> SWAP4 = LaneSum.swap(F, 4);
    private static final VectorShuffle<Float> SWAP2 = LaneSum.swap(F, 2);
    private static final VectorShuffle<Float> SWAP1 = LaneSum.swap(F, 1);

    private static float sum(FloatVector v) {
        return LaneSum.sum(v, SWAP8, SWAP4, SWAP2, SWAP1);
    }
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat JF = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfShort JS = ValueLayout.JAVA_SHORT;
    private static final boolean FMA = VectorConstants.FAST_FMA;

    DenseGemv() {
    }

    @Override
    public String toString() {
        return "DenseGemv[" + BITS + " bits]";
    }

    @Override
    public void rows(MemorySegment w, int wt, int m, int k, MemorySegment x, int n, MemorySegment y, int r0, int r1) {
        long eb = WeightType.bytes(wt);
        long rowBytes = eb * k;
        int last = r1 - 1;
        // f16 rows are widened into a 4-row f32 staging area (see widenF16 for why).
        MemorySegment f32 = wt == WeightType.F16 ? Scratch.get(16L * k) : null;
        rows(w, wt, m, k, x, n, y, r0, r1, rowBytes, last, f32);
    }

    private static void rows(MemorySegment w, int wt, int m, int k, MemorySegment x, int n, MemorySegment y,
                             int r0, int r1, long rowBytes, int last, MemorySegment f32) {
        for (int r = r0; r < r1; r += 4) {
            long o0 = rowBytes * r;
            long o1 = rowBytes * Math.min(r + 1, last);
            long o2 = rowBytes * Math.min(r + 2, last);
            long o3 = rowBytes * Math.min(r + 3, last);
            int valid = Math.min(4, r1 - r);
            if (f32 != null) {
                widenF16(w, o0, k, f32, 0);
                widenF16(w, o1, k, f32, 4L * k);
                widenF16(w, o2, k, f32, 8L * k);
                widenF16(w, o3, k, f32, 12L * k);
            }
            for (int t = 0; t < n; t++) {
                long xo = 4L * k * t;
                long yo = 4L * ((long) t * m + r);
                // One loop per weight type: a vector merged from differently-typed loads would be boxed.
                switch (wt) {
                    case WeightType.F32 -> dot4F32(w, o0, o1, o2, o3, k, x, xo, y, yo, valid);
                    case WeightType.BF16 -> dot4BF16(w, o0, o1, o2, o3, k, x, xo, y, yo, valid);
                    default -> dot4F32(f32, 0, 4L * k, 8L * k, 12L * k, k, x, xo, y, yo, valid);
                }
            }
        }
    }

    /** y[yo + 4i] = row_i . x for the 4 rows at byte offsets o0..o3 (only the first {@code valid} are stored). */
    private static void dot4F32(MemorySegment w, long o0, long o1, long o2, long o3, int k,
                             MemorySegment x, long xo, MemorySegment y, long yo, int valid) {
        final long eb = 4;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int bound = F.loopBound(k);
        int i = 0;
        for (; i + 2 * L <= bound; i += 2 * L) {
            FloatVector xa = FloatVector.fromMemorySegment(F, x, xo + 4L * i, NO);
            FloatVector xb = FloatVector.fromMemorySegment(F, x, xo + 4L * (i + L), NO);
            long wa = eb * i;
            long wb = eb * (i + L);
            a0 = fma(FloatVector.fromMemorySegment(F, w, o0 + wa, NO), xa, a0);
            a1 = fma(FloatVector.fromMemorySegment(F, w, o1 + wa, NO), xa, a1);
            a2 = fma(FloatVector.fromMemorySegment(F, w, o2 + wa, NO), xa, a2);
            a3 = fma(FloatVector.fromMemorySegment(F, w, o3 + wa, NO), xa, a3);
            b0 = fma(FloatVector.fromMemorySegment(F, w, o0 + wb, NO), xb, b0);
            b1 = fma(FloatVector.fromMemorySegment(F, w, o1 + wb, NO), xb, b1);
            b2 = fma(FloatVector.fromMemorySegment(F, w, o2 + wb, NO), xb, b2);
            b3 = fma(FloatVector.fromMemorySegment(F, w, o3 + wb, NO), xb, b3);
        }
        for (; i < bound; i += L) {
            FloatVector xa = FloatVector.fromMemorySegment(F, x, xo + 4L * i, NO);
            long wa = eb * i;
            a0 = fma(FloatVector.fromMemorySegment(F, w, o0 + wa, NO), xa, a0);
            a1 = fma(FloatVector.fromMemorySegment(F, w, o1 + wa, NO), xa, a1);
            a2 = fma(FloatVector.fromMemorySegment(F, w, o2 + wa, NO), xa, a2);
            a3 = fma(FloatVector.fromMemorySegment(F, w, o3 + wa, NO), xa, a3);
        }
        float s0 = sum(a0.add(b0));
        float s1 = sum(a1.add(b1));
        float s2 = sum(a2.add(b2));
        float s3 = sum(a3.add(b3));
        for (; i < k; i++) {
            float xv = x.get(JF, xo + 4L * i);
            long wi = eb * i;
            s0 += w.get(JF, o0 + wi) * xv;
            s1 += w.get(JF, o1 + wi) * xv;
            s2 += w.get(JF, o2 + wi) * xv;
            s3 += w.get(JF, o3 + wi) * xv;
        }
        y.set(JF, yo, s0);
        if (valid > 1) {
            y.set(JF, yo + 4, s1);
        }
        if (valid > 2) {
            y.set(JF, yo + 8, s2);
        }
        if (valid > 3) {
            y.set(JF, yo + 12, s3);
        }
    }

    /** As {@link #dot4F32}, for BF16 weights. */
    private static void dot4BF16(MemorySegment w, long o0, long o1, long o2, long o3, int k,
                             MemorySegment x, long xo, MemorySegment y, long yo, int valid) {
        final long eb = 2;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int bound = F.loopBound(k);
        int i = 0;
        for (; i + 2 * L <= bound; i += 2 * L) {
            FloatVector xa = FloatVector.fromMemorySegment(F, x, xo + 4L * i, NO);
            FloatVector xb = FloatVector.fromMemorySegment(F, x, xo + 4L * (i + L), NO);
            long wa = eb * i;
            long wb = eb * (i + L);
            a0 = fma(bf16(w, o0 + wa), xa, a0);
            a1 = fma(bf16(w, o1 + wa), xa, a1);
            a2 = fma(bf16(w, o2 + wa), xa, a2);
            a3 = fma(bf16(w, o3 + wa), xa, a3);
            b0 = fma(bf16(w, o0 + wb), xb, b0);
            b1 = fma(bf16(w, o1 + wb), xb, b1);
            b2 = fma(bf16(w, o2 + wb), xb, b2);
            b3 = fma(bf16(w, o3 + wb), xb, b3);
        }
        for (; i < bound; i += L) {
            FloatVector xa = FloatVector.fromMemorySegment(F, x, xo + 4L * i, NO);
            long wa = eb * i;
            a0 = fma(bf16(w, o0 + wa), xa, a0);
            a1 = fma(bf16(w, o1 + wa), xa, a1);
            a2 = fma(bf16(w, o2 + wa), xa, a2);
            a3 = fma(bf16(w, o3 + wa), xa, a3);
        }
        float s0 = sum(a0.add(b0));
        float s1 = sum(a1.add(b1));
        float s2 = sum(a2.add(b2));
        float s3 = sum(a3.add(b3));
        for (; i < k; i++) {
            float xv = x.get(JF, xo + 4L * i);
            long wi = eb * i;
            s0 += Float.intBitsToFloat((w.get(JS, o0 + wi) & 0xffff) << 16) * xv;
            s1 += Float.intBitsToFloat((w.get(JS, o1 + wi) & 0xffff) << 16) * xv;
            s2 += Float.intBitsToFloat((w.get(JS, o2 + wi) & 0xffff) << 16) * xv;
            s3 += Float.intBitsToFloat((w.get(JS, o3 + wi) & 0xffff) << 16) * xv;
        }
        y.set(JF, yo, s0);
        if (valid > 1) {
            y.set(JF, yo + 4, s1);
        }
        if (valid > 2) {
            y.set(JF, yo + 8, s2);
        }
        if (valid > 3) {
            y.set(JF, yo + 12, s3);
        }
    }

    /**
     * Widens one f16 row (byte offset {@code src}, k elements) into f32 at {@code dst} of {@code buf}.
     * WHY a staging row instead of converting inside the dot loop: the f16 conversion is ~10 vector ops,
     * and four of them inlined next to the FMAs exceed C2's node budget, so the conversions stay calls
     * and box every vector (20x slower). A separate simple loop compiles cleanly; the row stays in L1.
     */
    private static void widenF16(MemorySegment w, long src, int k, MemorySegment buf, long dst) {
        int bound = F.loopBound(k);
        int i = 0;
        for (; i < bound; i += L) {
            // IEEE half -> float, exactly: normal numbers rebias the exponent (+112); Inf/NaN get a second
            // +112 so the exponent saturates to 255 (payload kept); subnormals and zero are mantissa * 2^-24,
            // which int->float conversion computes exactly. Written out here, not called: a ~100-byte
            // helper is not inlined, and a vector returned from a call that is not inlined is boxed (20x slower).
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, src + 2L * i, NO)
                    .convertShape(VectorOperators.S2I, I, 0);
            IntVector mag = h.and(0x7fff);
            IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
            IntVector bits = mag.lanewise(VectorOperators.LSHL, 13).add(0x38000000);
            bits = bits.add(IntVector.broadcast(I, 0x38000000), mag.compare(VectorOperators.GE, 0x7c00));
            FloatVector sub = ((FloatVector) mag.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
            bits = bits.blend(sub.reinterpretAsInts(), mag.compare(VectorOperators.LT, 0x0400));
            bits.or(sign).reinterpretAsFloats().intoMemorySegment(buf, dst + 4L * i, NO);
        }
        for (; i < k; i++) {
            buf.set(JF, dst + 4L * i, Float.float16ToFloat(w.get(JS, src + 2L * i)));
        }
    }

    private static FloatVector fma(FloatVector a, FloatVector b, FloatVector c) {
        return FMA ? a.fma(b, c) : a.mul(b).add(c);
    }

    /** One vector of bf16 weights widened to float: bf16 is the high half of a float32, so a shift is exact. */
    private static FloatVector bf16(MemorySegment w, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off, NO).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

}
