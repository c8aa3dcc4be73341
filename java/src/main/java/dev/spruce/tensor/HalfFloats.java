package dev.spruce.tensor;

/**
 * Conversions between float32 and the two 16-bit float formats, round-to-nearest-even,
 * with NaN and infinities preserved (a NaN stays a NaN, never becomes an infinity).
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** float32 -> bfloat16 bits, round to nearest even; NaN is kept quiet with its sign and top payload bits. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            // NaN: truncation could clear every payload bit that survives and turn it into Inf; force the quiet bit.
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lsb) >>> 16);
    }

    /** bfloat16 bits -> float32 (exact). */
    public static float bf16ToFloat(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    /** float32 -> IEEE binary16 bits, round to nearest even (the JDK's conversion, which is exactly that). */
    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** IEEE binary16 bits -> float32 (exact). */
    public static float f16ToFloat(short h) {
        return Float.float16ToFloat(h);
    }

    /** Rounds a float to the nearest value representable in {@code dtype}. */
    public static float roundTo(DType dtype, float f) {
        return switch (dtype) {
            case F32 -> f;
            case BF16 -> bf16ToFloat(floatToBf16(f));
            case F16 -> f16ToFloat(floatToF16(f));
        };
    }
}
