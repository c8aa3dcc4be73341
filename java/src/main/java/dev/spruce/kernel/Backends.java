package dev.spruce.kernel;

import dev.spruce.kernel.scalar.ScalarBackend;
import dev.spruce.tensor.DType;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Finds the backends this JVM can run, in Lucene's provider style: the scalar reference always;
 * the Vector API backend only after checking that jdk.incubator.vector is readable and C2 is on,
 * loaded by name so no always-loaded class touches the incubator module; the CUDA backend only when
 * the native library loads and a device answers. Each decision is logged once with its reason.
 */
public final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());
    static final String VECTOR_CLASS = "dev.spruce.kernel.vector.VectorBackend";
    static final String CUDA_CLASS = "dev.spruce.kernel.cuda.CudaBackend";

    private Backends() {
    }

    /** Result of looking for an optional backend: the backend, or why there is none. */
    public record Probe(Backend backend, String reason) {
        public boolean available() {
            return backend != null;
        }
    }

    // Separate holders: CPU-only use must not load the CUDA native library (JavaCPP's System.load, with its
    // native-access warning and its start-up time) just because it asked for the Vector backend.
    private static final class VectorHolder {
        static final Probe VECTOR = probeVector(0, Parallel.defaultThreadCount(), false);
    }

    private static final class CudaHolder {
        static final Probe CUDA = probeCuda();
    }

    /** The scalar reference with the default thread count. */
    public static Backend scalar() {
        return new ScalarBackend();
    }

    /** The Vector API backend at the preferred width, or why it is unavailable. */
    public static Probe vectorProbe() {
        return VectorHolder.VECTOR;
    }

    /** The CUDA backend, or why it is unavailable (no library, no driver, no device). Never throws. */
    public static Probe cudaProbe() {
        return CudaHolder.CUDA;
    }

    public static Optional<Backend> vector() {
        return Optional.ofNullable(VectorHolder.VECTOR.backend());
    }

    public static Optional<Backend> cuda() {
        return Optional.ofNullable(CudaHolder.CUDA.backend());
    }

    /**
     * A Vector API backend with a forced width (128, 256 or 512 bits; 0 = preferred) and thread count.
     * Forcing a width other than the preferred one is slow and meant for tests, as in Lucene.
     */
    public static Probe vector(int vectorBits, int threads) {
        return probeVector(vectorBits, threads, true);
    }

    /** Every CPU backend available here, scalar first. */
    public static List<Backend> cpu() {
        List<Backend> list = new ArrayList<>();
        list.add(scalar());
        vector().ifPresent(list::add);
        return list;
    }

    /** The fastest CPU backend that supports {@code op} for {@code weights} (Vector if it can, else scalar). */
    public static Backend bestCpu(Op op, DType weights) {
        Optional<Backend> v = vector();
        if (v.isPresent() && v.get().supports(op, weights)) {
            return v.get();
        }
        return scalar();
    }

    private static Probe probeVector(int bits, int threads, boolean quiet) {
        Optional<Module> mod = ModuleLayer.boot().findModule("jdk.incubator.vector");
        if (mod.isEmpty()) {
            return warn(new Probe(null, "module jdk.incubator.vector is not in the boot layer "
                    + "(start the JVM with --add-modules jdk.incubator.vector)"), quiet);
        }
        Backends.class.getModule().addReads(mod.get());
        if (!quiet && !c2Enabled()) {
            return warn(new Probe(null, "the C2 compiler is off, so Vector API code would run interpreted"), false);
        }
        try {
            Class<?> cls = MethodHandles.lookup().findClass(VECTOR_CLASS);
            MethodHandle ctor = MethodHandles.lookup().findConstructor(cls,
                    MethodType.methodType(void.class, int.class, int.class));
            Backend b = (Backend) ctor.invoke(bits, threads);
            return log(new Probe(b, "Vector API: " + b), quiet);
        } catch (UnsupportedOperationException e) {
            return log(new Probe(null, e.getMessage()), quiet);
        } catch (Throwable t) {
            return log(new Probe(null, "Vector API backend failed to load: " + t), quiet);
        }
    }

    private static boolean c2Enabled() {
        try {
            String name = System.getProperty("java.vm.name", "");
            String info = System.getProperty("java.vm.info", "");
            return !info.contains("interpreted mode") && !name.contains("Client");
        } catch (SecurityException e) {
            return true;
        }
    }

    private static Probe probeCuda() {
        try {
            Class<?> cls = MethodHandles.lookup().findClass(CUDA_CLASS);
            MethodHandle probe = MethodHandles.lookup().findStatic(cls, "probe", MethodType.methodType(Probe.class));
            return log((Probe) probe.invoke(), false);
        } catch (ClassNotFoundException e) {
            return log(new Probe(null, "CUDA backend not compiled into this build"), false);
        } catch (Throwable t) {
            return log(new Probe(null, "CUDA backend failed to load: " + t), false);
        }
    }

    /**
     * Like Lucene's provider: a missing Vector backend is worth one warning, since every kernel then runs on the
     * scalar reference, correct but about ten times slower (MiniLM: 10 instead of 110 sentences/s here).
     */
    private static Probe warn(Probe p, boolean quiet) {
        if (!quiet) {
            LOG.warning(() -> "Spruce runs its kernels on the scalar reference (about 10x slower): " + p.reason());
        }
        return p;
    }

    private static Probe log(Probe p, boolean quiet) {
        if (!quiet) {
            LOG.fine(() -> p.available() ? "using " + p.reason() : "not available: " + p.reason());
        }
        return p;
    }
}
