package dev.spruce.kernel.cuda.bench;

import dev.spruce.cuda.DeviceMatrix;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

/**
 * The {@link GpuBenchmark.Layer} shared by the sparse rows of gpu-check that run like the cublas-bf16 baseline:
 * bf16 activations in, f32 out, one kernel launch, verified against the host reference {@code dense} (the weights
 * the device layout holds, as a dense matrix) on the unrounded f32 activations, so the check includes the bf16
 * rounding of X. Owns the device weights (freed by {@code freeWeights}) and {@code dense}.
 */
final class Bf16ReferenceLayer implements GpuBenchmark.Layer {

    /** One launch of the kernel under test: Y (f32, tokens x m) from X (bf16, tokens x k). */
    @FunctionalInterface
    interface Kernel {
        void launch(DeviceMatrix x, DeviceMatrix y);
    }

    private final Runnable freeWeights;
    private final Matrix dense;
    private final long weightBytes;
    private final Kernel kernel;

    Bf16ReferenceLayer(Runnable freeWeights, Matrix dense, long weightBytes, Kernel kernel) {
        this.freeWeights = freeWeights;
        this.dense = dense;
        this.weightBytes = weightBytes;
        this.kernel = kernel;
    }

    @Override
    public GpuBenchmark.Run batch(BenchInputs inputs) {
        int m = dense.rows();
        int k = dense.cols();
        DeviceMatrix x = inputs.device().convert(DType.BF16);
        DeviceMatrix y = DeviceMatrix.allocate(inputs.tokens(), m, DType.F32);
        return new GpuBenchmark.Run() {
            @Override
            public void poisonOutput() {
                y.poison();
            }

            @Override
            public void launch() {
                kernel.launch(x, y);
            }

            @Override
            public double verify() {
                try (Matrix host = y.toMatrix()) {
                    return SampledReference.relativeError(dense, inputs.host(), host);
                }
            }

            @Override
            public double tolerance() {
                return 1e-2;
            }

            @Override
            public long ioBytes() {
                return (long) inputs.tokens() * ((long) k * 2 + m * 4L);
            }

            @Override
            public void close() {
                y.close();
                x.close();
            }
        };
    }

    @Override
    public long weightBytes() {
        return weightBytes;
    }

    @Override
    public void close() {
        try {
            freeWeights.run();
        } finally {
            dense.close();
        }
    }
}
