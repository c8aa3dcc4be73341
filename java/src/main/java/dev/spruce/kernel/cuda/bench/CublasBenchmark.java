package dev.spruce.kernel.cuda.bench;

import dev.spruce.cuda.CuBlas;
import dev.spruce.cuda.Cuda;
import dev.spruce.cuda.CudaException;
import dev.spruce.cuda.DeviceMatrix;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

/**
 * The cuBLAS dense baseline (cublasGemmEx, f32 compute): weights and activations in {@code type} (the
 * activations converted on the device, outside the timed region), f32 output.
 */
public final class CublasBenchmark implements GpuBenchmark, AutoCloseable {
    private final DType type;
    private CuBlas blas;
    private String reason;

    public CublasBenchmark(DType type) {
        this.type = type;
    }

    @Override
    public String name() {
        return "cublas-" + type.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public synchronized String unavailableReason() {
        if (blas == null && reason == null) {
            if (!Cuda.available()) {
                reason = "CUDA is not available: " + Cuda.unavailableReason();
            } else {
                try {
                    blas = CuBlas.open();
                } catch (CudaException e) {
                    reason = e.getMessage();
                }
            }
        }
        return reason;
    }

    /** Where libcublas came from (for the report). */
    public String origin() {
        return CuBlas.origin();
    }

    @Override
    public Layer prepare(BenchWeights weights) {
        if (unavailableReason() != null) {
            throw new IllegalStateException(reason);
        }
        DeviceMatrix w = weights.device(type);
        Matrix hostW = weights.host(type);
        return new Layer() {
            @Override
            public Run batch(BenchInputs inputs) {
                DeviceMatrix x = type == DType.F32 ? null : inputs.device().convert(type);
                DeviceMatrix y = DeviceMatrix.allocate(inputs.tokens(), w.rows(), DType.F32);
                DeviceMatrix xin = x == null ? inputs.device() : x;
                return new Run() {
                    @Override
                    public void poisonOutput() {
                        y.poison();
                    }

                    @Override
                    public void launch() {
                        blas.gemm(w, xin, y);
                    }

                    @Override
                    public double verify() {
                        // against the unrounded f32 activations: includes the bf16 rounding of X
                        try (Matrix host = y.toMatrix()) {
                            return SampledReference.relativeError(hostW, inputs.host(), host);
                        }
                    }

                    @Override
                    public double tolerance() {
                        return type == DType.F32 ? 1e-4 : 1e-2;
                    }

                    @Override
                    public long ioBytes() {
                        return (long) inputs.tokens() * ((long) w.cols() * type.bytes() + w.rows() * 4L);
                    }

                    @Override
                    public void close() {
                        y.close();
                        if (x != null) {
                            x.close();
                        }
                    }
                };
            }

            @Override
            public long weightBytes() {
                return w.byteSize();
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public synchronized void close() {
        if (blas != null) {
            blas.close();
            blas = null;
        }
    }
}
