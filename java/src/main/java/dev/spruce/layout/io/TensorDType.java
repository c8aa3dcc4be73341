package dev.spruce.layout.io;

import dev.spruce.tensor.DType;

/** Element types a safetensors file may hold here, with their header names and sizes. */
public enum TensorDType {
    F64("F64", 8),
    F32("F32", 4),
    BF16("BF16", 2),
    F16("F16", 2),
    I64("I64", 8),
    I32("I32", 4),
    I16("I16", 2),
    I8("I8", 1),
    U8("U8", 1),
    BOOL("BOOL", 1);

    private final String headerName;
    private final int bytes;

    TensorDType(String headerName, int bytes) {
        this.headerName = headerName;
        this.bytes = bytes;
    }

    /** The dtype string of the safetensors header. */
    public String headerName() {
        return headerName;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Parses a header dtype string exactly (case-sensitive, as the format specifies). */
    public static TensorDType parse(String name) {
        for (TensorDType d : values()) {
            if (d.headerName.equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unsupported safetensors dtype '" + name + "'");
    }

    /** The storage type of a {@link DType}. */
    public static TensorDType of(DType d) {
        return switch (d) {
            case F32 -> F32;
            case BF16 -> BF16;
            case F16 -> F16;
        };
    }

    /** The {@link DType} of a floating-point tensor a {@code Matrix} can hold. */
    public DType toMatrixDType() {
        return switch (this) {
            case F32 -> DType.F32;
            case BF16 -> DType.BF16;
            case F16 -> DType.F16;
            default -> throw new IllegalArgumentException(this + " tensors cannot become a Matrix (F32, BF16, F16 only)");
        };
    }
}
