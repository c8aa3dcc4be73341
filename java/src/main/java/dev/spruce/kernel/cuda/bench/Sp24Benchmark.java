package dev.spruce.kernel.cuda.bench;

import dev.spruce.cuda.Cuda;
import dev.spruce.cuda.DeviceSparse24;
import dev.spruce.cuda.Sp24Kernels;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

/**
 * The 2:4 row of gpu-check: the benchmark's dense weights magnitude-pruned to 2:4 along K (the two largest
 * |w| of every group of 4 kept), packed as bf16 {@link Sparse24}, uploaded in the GPU order and multiplied by
 * the {@code mma.sp} kernels ({@link Sp24Kernels}, automatic kernel choice), bf16 activations, f32 output —
 * the same operand types as the cublas-bf16 baseline. Verified against the pruned weights' float64 reference.
 * Registered through META-INF/services.
 */
public final class Sp24Benchmark implements GpuBenchmark {

    @Override
    public String name() {
        return "sp24-bf16";
    }

    @Override
    public String unavailableReason() {
        return Cuda.available() ? null : "CUDA is not available: " + Cuda.unavailableReason();
    }

    /** Keeps the two largest-magnitude entries of every aligned group of 4 along K (rows of w, in place). */
    static void prune24(float[] w, int m, int k) {
        for (int r = 0; r < m; r++) {
            for (int g = 0; g + 4 <= k; g += 4) {
                int base = r * k + g;
                int a = 0, b = 1; // indices (within the group) of the two largest
                if (Math.abs(w[base + b]) > Math.abs(w[base + a])) {
                    a = 1;
                    b = 0;
                }
                for (int i = 2; i < 4; i++) {
                    float v = Math.abs(w[base + i]);
                    if (v > Math.abs(w[base + a])) {
                        b = a;
                        a = i;
                    } else if (v > Math.abs(w[base + b])) {
                        b = i;
                    }
                }
                for (int i = 0; i < 4; i++) {
                    if (i != a && i != b) {
                        w[base + i] = 0f;
                    }
                }
            }
        }
    }

    @Override
    public Layer prepare(BenchWeights weights) {
        int m = weights.rows(), k = weights.cols();
        float[] w = weights.hostF32().toFloatArray();
        prune24(w, m, k);
        Matrix dense = Matrix.of(w, m, k, DType.BF16);
        Sparse24 packed = null;
        DeviceSparse24 ds;
        try {
            packed = Sparse24.pack(dense, DType.BF16);
            ds = DeviceSparse24.upload(packed);
        } catch (RuntimeException e) {
            dense.close();
            throw e;
        } finally {
            if (packed != null) {
                packed.close();
            }
        }
        long wBytes = ds.values().byteSize() + ds.meta().byteSize();
        return new Bf16ReferenceLayer(ds::close, dense, wBytes, (x, y) -> Sp24Kernels.spmm24(ds, x, y));
    }
}
