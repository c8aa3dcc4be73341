package dev.spruce.kernel.cuda.bench;

import dev.spruce.cuda.DeviceMatrix;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

/**
 * The dense weights of one benchmark shape: generated on the device (deterministic from the seed, so every
 * benchmark sees the same numbers) as f32 and bf16, with host copies for the CPU references.
 */
public final class BenchWeights implements AutoCloseable {
    private final int m;
    private final int k;
    private final DeviceMatrix f32;
    private final Matrix hostF32;
    private DeviceMatrix bf16;
    private Matrix hostBf16;

    public BenchWeights(int m, int k, long seed) {
        if (m <= 0 || k <= 0) {
            throw new IllegalArgumentException("weight shape must be positive, got " + m + "x" + k);
        }
        this.m = m;
        this.k = k;
        this.f32 = DeviceMatrix.allocate(m, k, DType.F32);
        f32.fillUniform(seed, (float) (1.0 / Math.sqrt(k)));
        this.hostF32 = f32.toMatrix();
    }

    public int rows() {
        return m;
    }

    public int cols() {
        return k;
    }

    /** The f32 weights on the device. */
    public DeviceMatrix deviceF32() {
        return f32;
    }

    public Matrix hostF32() {
        return hostF32;
    }

    /** The weights rounded to {@code dtype} on the device (cached; owned by this object). */
    public synchronized DeviceMatrix device(DType dtype) {
        if (dtype == DType.F32) {
            return f32;
        }
        if (dtype != DType.BF16) {
            throw new IllegalArgumentException("benchmarks use F32 or BF16 weights, got " + dtype);
        }
        if (bf16 == null) {
            bf16 = f32.convert(DType.BF16);
            hostBf16 = bf16.toMatrix();
        }
        return bf16;
    }

    /** Host copy of {@link #device(DType)}. */
    public synchronized Matrix host(DType dtype) {
        device(dtype);
        return dtype == DType.F32 ? hostF32 : hostBf16;
    }

    @Override
    public void close() {
        f32.close();
        hostF32.close();
        if (bf16 != null) {
            bf16.close();
            hostBf16.close();
        }
    }
}
