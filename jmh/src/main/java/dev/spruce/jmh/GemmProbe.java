package dev.spruce.jmh;

import dev.spruce.kernel.linalg.LinAlg;
import dev.spruce.kernel.linalg.LinAlgKernels;

import java.util.Random;

/** Quick single-thread GEMM throughput probe of the float64 kernels (development aid). */
public final class GemmProbe {
    private GemmProbe() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        Random rnd = new Random(1);
        double[] a = new double[n * n], b = new double[n * n], c = new double[n * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextGaussian();
            b[i] = rnd.nextGaussian();
        }
        for (LinAlgKernels k : new LinAlgKernels[]{LinAlg.kernels(), LinAlg.scalar()}) {
            for (int rep = 0; rep < 6; rep++) {
                java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
                long c0 = mx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                k.gemm(n, n, n, 1.0, a, 0, n, b, 0, n, c, 0, n);
                double s = (System.nanoTime() - t0) * 1e-9;
                double cpu = (mx.getCurrentThreadCpuTime() - c0) * 1e-9;
                System.out.printf("%s %d^3: wall %.3f s (%.2f GMAC/s), cpu %.3f s (%.2f GMAC/s)%n", k.name(), n, s,
                        (double) n * n * n / s * 1e-9, cpu, (double) n * n * n / cpu * 1e-9);
            }
        }
    }
}
