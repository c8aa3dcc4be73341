package dev.spruce.kernel.vector;

import dev.spruce.tensor.DType;

/** Integer codes for weight dtypes, so kernels branch on a loop-invariant int the JIT can unswitch. */
final class WeightType {
    static final int F32 = 0;
    static final int BF16 = 1;
    static final int F16 = 2;

    private WeightType() {
    }

    static int of(DType d) {
        return switch (d) {
            case F32 -> F32;
            case BF16 -> BF16;
            case F16 -> F16;
        };
    }

    /** Bytes per element for a code. */
    static int bytes(int wt) {
        return wt == F32 ? 4 : 2;
    }
}
