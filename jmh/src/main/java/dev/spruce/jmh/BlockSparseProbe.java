package dev.spruce.jmh;

import dev.spruce.kernel.Backend;
import dev.spruce.layout.BlockSparse;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Development aid: single-thread block-sparse vs dense Vector GEMM, timed by the thread's CPU time (min of many
 * interleaved runs), so the ratio survives a shared, busy machine where JMH's wall-clock numbers do not.
 * Args: MxK batch block dtype sparsity... (defaults 4096x4096 32 32 F32 0.5 0.7 0.9). Not a substitute for
 * {@link BlockSparseBench} on a quiet machine.
 */
public final class BlockSparseProbe {
    private BlockSparseProbe() {
    }

    public static void main(String[] args) {
        int[] mk = Shapes.parse(args.length > 0 ? args[0] : "4096x4096");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int block = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        DType dt = DType.parse(args.length > 3 ? args[3] : "F32");
        double[] sp = args.length > 4 ? java.util.Arrays.stream(args, 4, args.length).mapToDouble(Double::parseDouble)
                .toArray() : new double[] {0.5, 0.7, 0.9};
        Backend v = Shapes.vectorBackend(1);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (Matrix w = Shapes.random(mk[0], mk[1], dt, 42); Matrix x = Shapes.random(n, mk[1], DType.F32, 7);
             Matrix y = Matrix.allocate(n, mk[0], DType.F32)) {
            BlockSparse[] s = new BlockSparse[sp.length];
            for (int i = 0; i < sp.length; i++) {
                s[i] = BlockSparseBench.randomBlocks(mk[0], mk[1], block, 1 - sp[i], dt, 42);
            }
            // Warm-up: about a second of calls per kernel, so small shapes are measured compiled (C2), not interpreted.
            for (long end = System.nanoTime() + 1_000_000_000L; System.nanoTime() < end; ) {
                if (n == 1) {
                    v.gemv(w, x, y);
                } else {
                    v.gemm(w, x, y);
                }
                for (BlockSparse b : s) {
                    v.blockSpmm(b, x, y);
                }
            }
            double dense = Double.MAX_VALUE;
            double[] best = new double[sp.length];
            java.util.Arrays.fill(best, Double.MAX_VALUE);
            for (int rep = 0; rep < 25; rep++) {
                long c0 = mx.getCurrentThreadCpuTime();
                if (n == 1) {
                    v.gemv(w, x, y);
                } else {
                    v.gemm(w, x, y);
                }
                dense = Math.min(dense, (mx.getCurrentThreadCpuTime() - c0) * 1e-3);
                for (int i = 0; i < sp.length; i++) {
                    c0 = mx.getCurrentThreadCpuTime();
                    v.blockSpmm(s[i], x, y);
                    best[i] = Math.min(best[i], (mx.getCurrentThreadCpuTime() - c0) * 1e-3);
                }
            }
            System.out.printf("%s batch %d %s, 1 thread, CPU time (min of 25, after 1 s warm-up): dense %.0f us%n", args.length > 0
                    ? args[0] : "4096x4096", n, dt, dense);
            for (int i = 0; i < sp.length; i++) {
                System.out.printf("  %dx%d blocks, sparsity %.2f: %.0f us = %.2fx dense%n", block, block, sp[i], best[i],
                        dense / best[i]);
                s[i].close();
            }
        }
    }
}
