package dev.spruce.kernel.linalg;

import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.scalar.ScalarLinAlg;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Chooses the float64 kernel implementation once per JVM, Lucene provider style: the Vector API one
 * when module jdk.incubator.vector is in the boot layer (it is loaded by name, so this always-loaded
 * class never references the incubator module), the scalar one otherwise. {@code -Dspruce.linalg=scalar}
 * forces the fallback. Also hosts the multi-threaded GEMM that splits rows across the kernel pool.
 */
public final class LinAlg {
    private static final Logger LOG = Logger.getLogger(LinAlg.class.getName());
    static final String VECTOR_CLASS = "dev.spruce.kernel.vector.VectorLinAlg";

    private LinAlg() {
    }

    private static final class Holder {
        static final LinAlgKernels DEFAULT = choose();
    }

    /** The kernels every pruner and {@code LayerStats} use. */
    public static LinAlgKernels kernels() {
        return Holder.DEFAULT;
    }

    /** The plain-Java reference kernels. */
    public static LinAlgKernels scalar() {
        return new ScalarLinAlg();
    }

    /** The Vector API kernels, if this JVM can run them. */
    public static Optional<LinAlgKernels> vector() {
        return Optional.ofNullable(loadVector());
    }

    private static LinAlgKernels choose() {
        if ("scalar".equalsIgnoreCase(System.getProperty("spruce.linalg", ""))) {
            LOG.fine("float64 kernels: scalar (forced by -Dspruce.linalg=scalar)");
            return scalar();
        }
        LinAlgKernels v = loadVector();
        return v != null ? v : scalar();
    }

    private static LinAlgKernels loadVector() {
        Optional<Module> mod = ModuleLayer.boot().findModule("jdk.incubator.vector");
        if (mod.isEmpty()) {
            LOG.fine("float64 kernels: scalar (jdk.incubator.vector not in the boot layer)");
            return null;
        }
        LinAlg.class.getModule().addReads(mod.get());
        try {
            Class<?> cls = MethodHandles.lookup().findClass(VECTOR_CLASS);
            LinAlgKernels k = (LinAlgKernels) MethodHandles.lookup()
                    .findConstructor(cls, MethodType.methodType(void.class)).invoke();
            LOG.fine(() -> "float64 kernels: " + k);
            return k;
        } catch (Throwable t) {
            LOG.fine(() -> "float64 kernels: scalar (vector kernels failed to load: " + t + ")");
            return null;
        }
    }

    /**
     * Multi-threaded C[m x n] += alpha * A[m x k] * B[k x n]: rows of C are split into chunks (multiples
     * of 8 rows, so every chunk keeps the kernel's register tile full) that run on the kernel pool.
     */
    public static void gemm(LinAlgKernels kern, int threads, int m, int n, int k, double alpha,
                            double[] a, int aOff, int lda,
                            double[] b, int bOff, int ldb,
                            double[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0 || k <= 0) {
            return;
        }
        // Below ~2 M multiply-adds the fork/join overhead outweighs a second core.
        int t = (long) m * n * k < 2_000_000L ? 1 : threads;
        Parallel.forRange(m, t, 8, (from, to) -> kern.gemm(to - from, n, k, alpha,
                a, aOff + from * lda, lda, b, bOff, ldb, c, cOff + from * ldc, ldc));
    }
}
