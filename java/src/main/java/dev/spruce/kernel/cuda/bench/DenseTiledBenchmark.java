package dev.spruce.kernel.cuda.bench;

import dev.spruce.cuda.CudaKernels;
import dev.spruce.cuda.DeviceMatrix;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

/** Spruce's own tiled dense kernel: f32 activations, weights in {@code weightType}, f32 output. */
public final class DenseTiledBenchmark implements GpuBenchmark {
    private final DType weightType;

    public DenseTiledBenchmark(DType weightType) {
        this.weightType = weightType;
    }

    @Override
    public String name() {
        return "spruce-dense-" + weightType.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public Layer prepare(BenchWeights weights) {
        DeviceMatrix w = weights.device(weightType);
        Matrix hostW = weights.host(weightType);
        return new Layer() {
            @Override
            public Run batch(BenchInputs inputs) {
                DeviceMatrix y = DeviceMatrix.allocate(inputs.tokens(), w.rows(), DType.F32);
                return new Run() {
                    @Override
                    public void poisonOutput() {
                        y.poison();
                    }

                    @Override
                    public void launch() {
                        CudaKernels.denseGemm(w, inputs.device(), y);
                    }

                    @Override
                    public double verify() {
                        try (Matrix host = y.toMatrix()) {
                            return SampledReference.relativeError(hostW, inputs.host(), host);
                        }
                    }

                    @Override
                    public double tolerance() {
                        return 1e-4; // exact operands, f32 accumulation
                    }

                    @Override
                    public long ioBytes() {
                        return (long) inputs.tokens() * (w.cols() + w.rows()) * 4L;
                    }

                    @Override
                    public void close() {
                        y.close();
                    }
                };
            }

            @Override
            public long weightBytes() {
                return w.byteSize();
            }

            @Override
            public void close() {
                // the weights belong to BenchWeights
            }
        };
    }
}
