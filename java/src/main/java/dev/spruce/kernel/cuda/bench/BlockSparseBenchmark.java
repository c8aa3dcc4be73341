package dev.spruce.kernel.cuda.bench;

import dev.spruce.cuda.BlockKernels;
import dev.spruce.cuda.Cuda;
import dev.spruce.cuda.DeviceBlockSparse;
import dev.spruce.layout.BlockSparse;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.util.Arrays;

/**
 * The block-sparse rows of gpu-check: the benchmark's dense weights pruned to 32x32 blocks by block magnitude (the
 * blocks of largest Frobenius norm kept, exactly round(density * blocks) of them), packed as bf16
 * {@link BlockSparse}, uploaded as row-grouped BSR and multiplied by the {@code mma.sync} kernel
 * ({@link BlockKernels}), bf16 activations, f32 output: the operand types of the cublas-bf16 baseline. Verified
 * against the pruned weights' float64 reference. One row per sparsity, registered through META-INF/services as the
 * nested classes {@link Sparsity50} and {@link Sparsity90} (the two targets).
 */
public class BlockSparseBenchmark implements GpuBenchmark {
    /** Block edge (square blocks). */
    static final int BLOCK = 32;

    private final double sparsity;

    public BlockSparseBenchmark(double sparsity) {
        if (!(sparsity >= 0 && sparsity < 1)) {
            throw new IllegalArgumentException("sparsity must be in [0, 1), got " + sparsity);
        }
        this.sparsity = sparsity;
    }

    /** 50% of the blocks dropped. */
    public static final class Sparsity50 extends BlockSparseBenchmark {
        public Sparsity50() {
            super(0.5);
        }
    }

    /** 90% of the blocks dropped. */
    public static final class Sparsity90 extends BlockSparseBenchmark {
        public Sparsity90() {
            super(0.9);
        }
    }

    @Override
    public String name() {
        return "block" + BLOCK + "-" + Math.round(sparsity * 100) + "-bf16";
    }

    @Override
    public String unavailableReason() {
        return Cuda.available() ? null : "CUDA is not available: " + Cuda.unavailableReason();
    }

    /** Keep flags of the round((1 - sparsity) * blocks) blocks of largest Frobenius norm (ties: lower index). */
    static boolean[] largestBlocks(float[] w, int m, int k, int b, double sparsity) {
        int br = m / b, bc = k / b;
        double[] norm = new double[br * bc];
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < k; c++) {
                double v = w[r * k + c];
                norm[(r / b) * bc + c / b] += v * v;
            }
        }
        Integer[] order = new Integer[norm.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> norm[x] != norm[y] ? Double.compare(norm[y], norm[x]) : Integer.compare(x, y));
        boolean[] keep = new boolean[norm.length];
        int kept = (int) Math.round((1 - sparsity) * norm.length);
        for (int i = 0; i < kept; i++) {
            keep[order[i]] = true;
        }
        return keep;
    }

    @Override
    public Layer prepare(BenchWeights weights) {
        int m = weights.rows(), k = weights.cols();
        if (m % BLOCK != 0 || k % BLOCK != 0) {
            throw new IllegalArgumentException(name() + " needs M and K to be multiples of " + BLOCK + ", got " + m
                    + "x" + k);
        }
        float[] w = weights.hostF32().toFloatArray();
        boolean[] keep = largestBlocks(w, m, k, BLOCK, sparsity);
        BlockSparse packed;
        try (Matrix full = Matrix.of(w, m, k)) {
            packed = BlockSparse.fromDense(full, BLOCK, BLOCK, keep, DType.BF16);
        }
        Matrix dense;
        DeviceBlockSparse ds;
        try {
            dense = packed.toDense();
            try {
                ds = DeviceBlockSparse.upload(packed);
            } catch (RuntimeException e) {
                dense.close();
                throw e;
            }
        } finally {
            packed.close();
        }
        long wBytes = ds.values().byteSize() + ds.groupPtr().byteSize() + ds.entryCol().byteSize()
                + ds.entryBlock().byteSize();
        return new Bf16ReferenceLayer(ds::close, dense, wBytes, (x, y) -> BlockKernels.blockSpmm(ds, x, y));
    }
}
