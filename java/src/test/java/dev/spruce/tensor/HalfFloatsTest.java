package dev.spruce.tensor;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Exhaustive checks of the 16-bit conversions: every one of the 65536 patterns of each format, and
 * float -> half rounding against an independent float64 reference (nearest candidate, ties to even)
 * over random floats, exact ties, subnormals, overflow and NaNs.
 *
 * <p>Why float64 is an exact reference: every float32, bf16 and f16 value is a double, and the two
 * distances |f - lo| and |hi - f| between a float and its neighbouring half values are differences of
 * doubles within a factor of two of each other (or with one side zero), which doubles compute exactly.
 */
class HalfFloatsTest {

    // ---- bf16 ----

    @Test
    void everyBf16PatternRoundTrips() {
        for (int h = 0; h < 65536; h++) {
            float f = HalfFloats.bf16ToFloat((short) h);
            assertEquals(Float.intBitsToFloat(h << 16), f, 0f);
            short back = HalfFloats.floatToBf16(f);
            boolean nan = (h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0;
            if (nan) {
                assertTrue(Float.isNaN(f));
                // NaN keeps sign and payload; the quiet bit is set so truncation can never make it an Inf.
                assertEquals(h | 0x0040, back & 0xffff, "bf16 NaN " + Integer.toHexString(h));
            } else {
                assertEquals(h, back & 0xffff, "bf16 pattern " + Integer.toHexString(h));
            }
        }
    }

    /** Reference float -> bf16: nearest of the two bf16 neighbours, ties to even, overflow to Inf. */
    static int refBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return -1;
        }
        int sign = bits & 0x80000000;
        int mag = bits & 0x7fffffff;
        int lo = mag >>> 16; // truncation toward zero
        if ((mag & 0xffff) == 0) {
            return (sign >>> 16) | lo;
        }
        int hi = lo + 1;
        double a = Math.abs((double) f);
        double dlo = a - Float.intBitsToFloat(lo << 16);
        double hiVal = hi == 0x7f80 ? 0x1p128 : Float.intBitsToFloat(hi << 16); // overflow rounds as 2^128
        double dhi = hiVal - a;
        int pick = dlo < dhi ? lo : dhi < dlo ? hi : ((lo & 1) == 0 ? lo : hi);
        return (sign >>> 16) | pick;
    }

    @Test
    void floatToBf16RoundsToNearestEven() {
        SplittableRandom rnd = new SplittableRandom(1);
        float[] probes = probes(rnd);
        for (float f : probes) {
            int ref = refBf16(f);
            short got = HalfFloats.floatToBf16(f);
            if (ref < 0) {
                assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(got)), "NaN must stay NaN: " + Float.floatToRawIntBits(f));
                assertEquals(Float.floatToRawIntBits(f) >>> 31, (got >>> 15) & 1, "NaN sign");
            } else if (ref != (got & 0xffff)) {
                fail("bf16(" + f + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + "): got 0x"
                        + Integer.toHexString(got & 0xffff) + ", expected 0x" + Integer.toHexString(ref));
            }
        }
    }

    @Test
    void bf16Specials() {
        assertEquals(0x7f80, HalfFloats.floatToBf16(Float.POSITIVE_INFINITY) & 0xffff);
        assertEquals(0xff80, HalfFloats.floatToBf16(Float.NEGATIVE_INFINITY) & 0xffff);
        assertEquals(0x8000, HalfFloats.floatToBf16(-0f) & 0xffff);
        assertEquals(0x7f80, HalfFloats.floatToBf16(Float.MAX_VALUE) & 0xffff, "overflow rounds to Inf");
        assertEquals(0x7f7f, HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f7f7fff)) & 0xffff, "just below the tie");
        assertEquals(0x7f80, HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f7f8000)) & 0xffff, "tie to even: Inf");
        // The NaN whose payload lives only in the low 16 bits: plain truncation would give Inf.
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f800001)))));
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0xff800001)))));
        // Ties: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 -> even (1); 1 + 3*2^-8 -> 1 + 2^-6.
        assertEquals(1f, HalfFloats.roundTo(DType.BF16, 1f + 0x1p-8f));
        assertEquals(1f + 0x1p-6f, HalfFloats.roundTo(DType.BF16, 1f + 3 * 0x1p-8f));
    }

    // ---- IEEE f16 ----

    /** f16 bits to value, computed from the definition in double arithmetic. */
    static double refF16Value(int h) {
        int sign = (h >>> 15) & 1;
        int exp = (h >>> 10) & 0x1f;
        int man = h & 0x3ff;
        double v;
        if (exp == 0) {
            v = man * 0x1p-24;
        } else if (exp == 31) {
            v = man == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            v = (1024 + man) * Math.pow(2, exp - 25);
        }
        return sign == 1 ? -v : v;
    }

    @Test
    void everyF16PatternDecodesAndRoundTrips() {
        for (int h = 0; h < 65536; h++) {
            float f = HalfFloats.f16ToFloat((short) h);
            double ref = refF16Value(h);
            if (Double.isNaN(ref)) {
                assertTrue(Float.isNaN(f), "f16 NaN " + Integer.toHexString(h));
                short back = HalfFloats.floatToF16(f);
                assertTrue((back & 0x7c00) == 0x7c00 && (back & 0x3ff) != 0, "NaN stays NaN " + Integer.toHexString(h));
                assertEquals(h >>> 15, (back >>> 15) & 1, "NaN sign");
            } else {
                assertEquals(ref, f, 0.0, "f16 pattern " + Integer.toHexString(h));
                assertEquals(Double.doubleToRawLongBits(ref) >>> 63, Float.floatToRawIntBits(f) >>> 31, "sign of zero");
                assertEquals(h, HalfFloats.floatToF16(f) & 0xffff, "f16 round trip " + Integer.toHexString(h));
            }
        }
    }

    /** Non-negative finite f16 values in increasing order, with 2^16 appended as the overflow candidate. */
    static final double[] F16_UP = f16Table();

    static double[] f16Table() {
        double[] t = new double[0x7c00 + 1];
        for (int h = 0; h < 0x7c00; h++) {
            t[h] = refF16Value(h);
        }
        t[0x7c00] = 0x1p16; // Inf is chosen exactly where rounding to "the next value" 2^16 would be
        return t;
    }

    static int refF16(float f) {
        if (Float.isNaN(f)) {
            return -1;
        }
        int sign = Float.floatToRawIntBits(f) >>> 31;
        double a = Math.abs((double) f);
        int pick;
        if (a >= 0x1p16) {
            pick = 0x7c00;
        } else {
            int i = Arrays.binarySearch(F16_UP, a);
            if (i >= 0) {
                pick = i;
            } else {
                int hi = -i - 1;
                int lo = hi - 1;
                double dlo = a - F16_UP[lo];
                double dhi = F16_UP[hi] - a;
                pick = dlo < dhi ? lo : dhi < dlo ? hi : ((lo & 1) == 0 ? lo : hi);
            }
        }
        return (sign << 15) | pick;
    }

    @Test
    void floatToF16RoundsToNearestEven() {
        SplittableRandom rnd = new SplittableRandom(2);
        float[] probes = probes(rnd);
        for (float f : probes) {
            int ref = refF16(f);
            short got = HalfFloats.floatToF16(f);
            if (ref < 0) {
                assertTrue(Float.isNaN(HalfFloats.f16ToFloat(got)), "NaN must stay NaN");
            } else if (ref != (got & 0xffff)) {
                fail("f16(" + f + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + "): got 0x"
                        + Integer.toHexString(got & 0xffff) + ", expected 0x" + Integer.toHexString(ref));
            }
        }
    }

    @Test
    void f16Specials() {
        assertEquals(0x7bff, HalfFloats.floatToF16(65504f) & 0xffff);
        assertEquals(0x7bff, HalfFloats.floatToF16(65519.996f) & 0xffff, "below the tie stays finite");
        assertEquals(0x7c00, HalfFloats.floatToF16(65520f) & 0xffff, "tie to even overflows to Inf");
        assertEquals(0xfc00, HalfFloats.floatToF16(-1e9f) & 0xffff);
        assertEquals(0x0001, HalfFloats.floatToF16(0x1p-24f) & 0xffff, "smallest subnormal");
        assertEquals(0x0000, HalfFloats.floatToF16(0x1p-25f) & 0xffff, "half the smallest subnormal ties to 0");
        assertEquals(0x0002, HalfFloats.floatToF16(3 * 0x1p-25f) & 0xffff, "1.5 subnormal ulps ties to even 2");
        assertEquals(0x0001, HalfFloats.floatToF16(Math.nextUp(0x1p-25f)) & 0xffff);
        assertEquals(0x8000, HalfFloats.floatToF16(-0f) & 0xffff);
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(Float.intBitsToFloat(0x7f800001)))));
    }

    /**
     * Floats to test rounding on: random bit patterns over the whole range, random values in the f16
     * range, and for both formats exact ties and their neighbours (ties are where rounding bugs live).
     */
    static float[] probes(SplittableRandom rnd) {
        int n = 0;
        float[] p = new float[400_000 + 8 * 0x7c00 + 64];
        for (int i = 0; i < 200_000; i++) {
            p[n++] = Float.intBitsToFloat(rnd.nextInt());
        }
        for (int i = 0; i < 100_000; i++) {
            p[n++] = (float) ((rnd.nextDouble() * 2 - 1) * Math.pow(2, rnd.nextInt(-30, 18)));
        }
        for (int i = 0; i < 100_000; i++) {
            // bf16 ties: low 16 bits exactly 0x8000, plus the floats one ulp either side.
            int b = (rnd.nextInt() & 0xffff0000) | 0x8000;
            p[n++] = Float.intBitsToFloat(b + (i % 3) - 1);
        }
        for (int h = 0; h < 0x7c00; h++) {
            // f16 ties: midpoints of consecutive f16 values (exact in float: 12 significant bits).
            double mid = (refF16Value(h) + F16_UP[h + 1]) / 2;
            float fm = (float) mid;
            p[n++] = fm;
            p[n++] = Math.nextUp(fm);
            p[n++] = Math.nextDown(fm);
            p[n++] = -fm;
            p[n++] = (float) refF16Value(h);
            p[n++] = -(float) refF16Value(h);
            p[n++] = Math.nextUp((float) refF16Value(h));
            p[n++] = Math.nextDown((float) refF16Value(h));
        }
        float[] specials = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE,
                -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
                Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xff800001), Float.intBitsToFloat(0x7fc00000),
                Float.intBitsToFloat(0x7fbfffff), Float.intBitsToFloat(0x7f7fffff), Float.intBitsToFloat(0x7f7f8000),
                Float.intBitsToFloat(0x7f7f7fff), 65504f, 65519f, 65520f, 65536f, 1e-8f, 6e-8f, 3e-8f};
        for (float f : specials) {
            p[n++] = f;
        }
        return Arrays.copyOf(p, n);
    }
}
