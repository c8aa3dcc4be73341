package dev.spruce.jmh;

import dev.spruce.kernel.Backend;
import dev.spruce.layout.BlockSparse;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.bytedeco.javacpp.FloatPointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.SplittableRandom;

/**
 * Block-sparse Y = S X (Backend.blockSpmm, batch 1 included) against its two baselines in the same run: the dense
 * Vector GEMM/GEMV on a dense matrix of the same shape and value type ({@code dense}) and OpenBLAS sgemm/sgemv, f32
 * ({@code openblas}). The params are split over states so each baseline runs once per shape/batch/threads, not
 * once per sparsity and block size: {@code shape} = "MxK", {@code batch}, {@code threads} for all three;
 * {@code dtype} for the two Spruce kernels; {@code sparsity} (fraction of blocks dropped) and {@code block}
 * (square block size) for the sparse one. The kept blocks are a uniformly random subset of exactly
 * round((1 - sparsity) * blocks) blocks with random values, so speed depends only on the count, as it should.
 * Default shapes: LLaMA-size 4096x4096 and the ViT-B/16 layers (fc2 768x3072, fc1 3072x768, qkv 2304x768,
 * proj 768x768). Quick look at the target:
 * {@code -p shape=4096x4096 -p batch=32 -p block=32 -p threads=2 -p dtype=F32}.
 */
public class BlockSparseBench extends JmhSettings {

    /** Shape, batch and threads: the activations and the output, shared by every benchmark here. */
    @State(Scope.Benchmark)
    public static class Problem {
        @Param({"4096x4096", "768x3072", "3072x768", "2304x768", "768x768"})
        public String shape;

        @Param({"1", "8", "32", "128", "512"})
        public int batch;

        @Param({"1", "2"})
        public int threads;

        int m;
        int k;
        Matrix x;
        Matrix y;

        @Setup(Level.Trial)
        public void setup() {
            int[] mk = Shapes.parse(shape);
            m = mk[0];
            k = mk[1];
            x = Shapes.random(batch, k, DType.F32, 7);
            y = Matrix.allocate(batch, m, DType.F32);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            x.close();
            y.close();
        }
    }

    /** The block-sparse weights and the Vector backend. */
    @State(Scope.Benchmark)
    public static class Sparse {
        @Param({"0.5", "0.7", "0.9"})
        public double sparsity;

        @Param({"16", "32", "64"})
        public int block;

        @Param({"F32", "BF16"})
        public String dtype;

        BlockSparse s;
        Backend vector;

        @Setup(Level.Trial)
        public void setup(Problem p) {
            s = randomBlocks(p.m, p.k, block, 1 - sparsity, DType.parse(dtype), 42);
            vector = Shapes.vectorBackend(p.threads);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            s.close();
        }
    }

    /** The dense baseline: a random dense W of the same shape and value type, on the same Vector backend. */
    @State(Scope.Benchmark)
    public static class Dense {
        @Param({"F32", "BF16"})
        public String dtype;

        Matrix w;
        Backend vector;

        @Setup(Level.Trial)
        public void setup(Problem p) {
            w = Shapes.random(p.m, p.k, DType.parse(dtype), 42);
            vector = Shapes.vectorBackend(p.threads);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            w.close();
        }
    }

    /** The outside anchor: OpenBLAS f32 on the same off-heap memory, with its thread count set to {@code threads}. */
    @State(Scope.Benchmark)
    public static class Blas {
        Matrix w;
        FloatPointer wp;
        FloatPointer xp;
        FloatPointer yp;

        @Setup(Level.Trial)
        public void setup(Problem p) {
            System.out.println("OpenBLAS core: " + OpenBlas.load());
            OpenBlas.threads(p.threads);
            w = Shapes.random(p.m, p.k, DType.F32, 42);
            wp = OpenBlas.pointer(w);
            xp = OpenBlas.pointer(p.x);
            yp = OpenBlas.pointer(p.y);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            w.close();
        }
    }

    /**
     * An m x k block-sparse matrix with exactly round(density * blocks) kept blocks of block x block, chosen uniformly
     * (partial Fisher-Yates), holding uniform [-1, 1) values.
     */
    static BlockSparse randomBlocks(int m, int k, int block, double density, DType dt, long seed) {
        int br = m / block;
        int bc = k / block;
        int total = br * bc;
        int kept = (int) Math.round(density * total);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] order = new int[total];
        for (int i = 0; i < total; i++) {
            order[i] = i;
        }
        boolean[] keep = new boolean[total];
        for (int i = 0; i < kept; i++) {
            int j = i + rnd.nextInt(total - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
            keep[order[i]] = true;
        }
        try (Matrix w = Shapes.random(m, k, DType.F32, seed + 1)) {
            return BlockSparse.fromDense(w, block, block, keep, dt);
        }
    }

    @Benchmark
    public Matrix block(Problem p, Sparse s) {
        s.vector.blockSpmm(s.s, p.x, p.y);
        return p.y;
    }

    @Benchmark
    public Matrix dense(Problem p, Dense d) {
        if (p.batch == 1) {
            d.vector.gemv(d.w, p.x, p.y);
        } else {
            d.vector.gemm(d.w, p.x, p.y);
        }
        return p.y;
    }

    @Benchmark
    public Matrix openblas(Problem p, Blas b) {
        if (p.batch == 1) {
            OpenBlas.sgemv(b.wp, p.m, p.k, b.xp, b.yp);
        } else {
            OpenBlas.sgemm(b.wp, p.m, p.k, b.xp, p.batch, b.yp);
        }
        return p.y;
    }
}
