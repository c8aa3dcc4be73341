package dev.spruce.tensor;

/** Element types a {@link Matrix} can hold. Activations and outputs are always {@link #F32}. */
public enum DType {
    F32(4, "F32"),
    BF16(2, "BF16"),
    F16(2, "F16");

    private final int bytes;
    private final String safetensorsName;

    DType(int bytes, String safetensorsName) {
        this.bytes = bytes;
        this.safetensorsName = safetensorsName;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The dtype string used in safetensors headers. */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** Parses a safetensors dtype string ("F32", "BF16", "F16"); anything else is rejected by name. */
    public static DType fromSafetensors(String name) {
        for (DType d : values()) {
            if (d.safetensorsName.equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unsupported dtype '" + name + "' (expected F32, BF16 or F16)");
    }

    /** Parses a user-facing name: f32/float32, bf16/bfloat16, f16/fp16/float16 (case-insensitive). */
    public static DType parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "fp32", "float32", "float" -> F32;
            case "bf16", "bfloat16" -> BF16;
            case "f16", "fp16", "float16", "half" -> F16;
            default -> throw new IllegalArgumentException("unknown dtype '" + name + "' (expected f32, bf16 or f16)");
        };
    }
}
