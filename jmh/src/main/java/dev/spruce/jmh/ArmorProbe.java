package dev.spruce.jmh;

import dev.spruce.kernel.Backend;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.layout.BlockDiagonal;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.util.Arrays;

/**
 * Development aid: ARMOR vs dense vs the 2:4 core on a shared, noisy machine. The three products run round-robin
 * (so every one sees the same background load) and the minimum and median per product are printed; ratios of
 * minimums are stable where JMH's sequential averages are not. Args: MxK/bs batch threads dtype [reps].
 */
public final class ArmorProbe {
    private ArmorProbe() {
    }

    public static void main(String[] args) {
        String[] p = (args.length > 0 ? args[0] : "4096x4096/128").split("/");
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        DType dt = DType.parse(args.length > 3 ? args[3] : "F32");
        int reps = args.length > 4 ? Integer.parseInt(args[4]) : 60;
        int[] mk = Shapes.parse(p[0]);
        int m = mk[0], k = mk[1], bs = Integer.parseInt(p[1]);
        Backend v = Shapes.vectorBackend(threads);
        ArmorLayout armor;
        Sparse24 core;
        try (Matrix w = Matrix.of(Sparse24Bench.magnitude24(m, k, 42), m, k, dt)) {
            armor = ArmorLayout.of(blocks(m, bs, 3), Sparse24.pack(w, dt), blocks(k, bs, 5), Shapes.randomArray(m, 9));
            core = Sparse24.pack(w, dt);
        }
        try (armor; core; Matrix dense = Shapes.random(m, k, dt, 11); Matrix x = Shapes.random(batch, k, DType.F32, 7);
             Matrix y = Matrix.allocate(batch, m, DType.F32)) {
            Runnable[] ops = {
                () -> v.armor(armor, x, y),
                () -> { if (batch == 1) { v.gemv(dense, x, y); } else { v.gemm(dense, x, y); } },
                () -> { if (batch == 1) { v.spmv24(core, x, y); } else { v.spmm24(core, x, y); } }};
            String[] names = {"armor", "dense", "sparse24"};
            long[][] t = new long[3][reps];
            for (int r = -reps / 3; r < reps; r++) { // the first third warms up
                for (int o = 0; o < 3; o++) {
                    long t0 = System.nanoTime();
                    ops[o].run();
                    long d = System.nanoTime() - t0;
                    if (r >= 0) {
                        t[o][r] = d;
                    }
                }
            }
            double[] min = new double[3];
            for (int o = 0; o < 3; o++) {
                Arrays.sort(t[o]);
                min[o] = t[o][0] / 1e3;
                System.out.printf("%s %s b=%d t=%d %-8s min %9.1f us  median %9.1f us%n", args.length > 0 ? args[0]
                        : "4096x4096/128", dt, batch, threads, names[o], min[o], t[o][reps / 2] / 1e3);
            }
            System.out.printf("  armor vs dense %.2fx, armor vs 2:4 %.2fx (minimums)%n", min[1] / min[0], min[2] / min[0]);
        }
    }

    private static BlockDiagonal blocks(int n, int bs, long seed) {
        float[] a = Shapes.randomArray(Math.multiplyExact(n, bs), seed);
        float scale = (float) (1 / Math.sqrt(bs));
        for (int i = 0; i < a.length; i++) {
            a[i] *= scale;
        }
        return BlockDiagonal.of(n, bs, a);
    }
}
