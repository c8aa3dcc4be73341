package dev.spruce.jmh;

import dev.spruce.kernel.Backend;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.layout.BlockDiagonal;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;


/**
 * An ARMOR layer y = A (S (B x)) + bias next to what it replaces, all on the Vector backend in one run: the dense
 * layer of the same shape and dtype ({@code dense}: GEMV at batch 1, GEMM above) and the 2:4 core alone
 * ({@code sparse24}), so the table shows both the speedup over dense and what the wrappers cost on top of 2:4.
 * {@code layer} is "MxK/bs" (the same block size for A and B); {@code dtype} is the core's value type and the dense
 * baseline's weight type. Values are random: the kernels' speed does not depend on them.
 */
@State(Scope.Benchmark)
public class ArmorBench extends JmhSettings {
    @Param({"4096x4096/128", "384x1536/32", "384x384/16"})
    public String layer;

    @Param({"1", "8", "32", "128"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    @Param({"F32", "BF16"})
    public String dtype;

    private ArmorLayout armor;
    private Sparse24 core;
    private Matrix dense;
    private Matrix x;
    private Matrix y;
    private Backend vector;

    @Setup(Level.Trial)
    public void setup() {
        String[] p = layer.split("/");
        if (p.length != 2) {
            throw new IllegalArgumentException("layer must be MxK/bs, got '" + layer + "'");
        }
        int[] mk = Shapes.parse(p[0]);
        int m = mk[0];
        int k = mk[1];
        int bs = Integer.parseInt(p[1].trim());
        DType dt = DType.parse(dtype);
        try (Matrix w = Matrix.of(Sparse24Bench.magnitude24(m, k, 42), m, k, dt)) {
            armor = ArmorLayout.of(blocks(m, bs, 3), Sparse24.pack(w, dt), blocks(k, bs, 5), Shapes.randomArray(m, 9));
            core = Sparse24.pack(w, dt);
        }
        dense = Shapes.random(m, k, dt, 11);
        x = Shapes.random(batch, k, DType.F32, 7);
        y = Matrix.allocate(batch, m, DType.F32);
        vector = Shapes.vectorBackend(threads);
    }

    private static BlockDiagonal blocks(int n, int bs, long seed) {
        float[] a = Shapes.randomArray(Math.multiplyExact(n, bs), seed);
        float scale = (float) (1 / Math.sqrt(bs));
        for (int i = 0; i < a.length; i++) {
            a[i] *= scale;
        }
        return BlockDiagonal.of(n, bs, a);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        armor.close();
        core.close();
        dense.close();
        x.close();
        y.close();
    }

    @Benchmark
    public Matrix armor() {
        vector.armor(armor, x, y);
        return y;
    }

    @Benchmark
    public Matrix dense() {
        return KernelBench.dense(vector, dense, x, y);
    }

    @Benchmark
    public Matrix sparse24() {
        return KernelBench.sparse24(vector, core, x, y);
    }
}
