package dev.spruce.jmh;

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


/**
 * OpenBLAS sgemv (batch 1) / sgemm (batch > 1), f32, on off-heap matrices with no per-call copies:
 * the outside anchor, run in the same JMH session as the Spruce kernels. OpenBLAS's own thread count
 * is set to the {@code threads} param. Which OpenBLAS core ran is printed at setup (it depends on
 * OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the environment, see {@code spruce bench --help}).
 */
@State(Scope.Benchmark)
public class OpenBlasBench extends KernelBench {
    /** The weights, {@link #copies} times (the same values in each). */
    private Matrix[] w;
    private FloatPointer[] wp;
    private FloatPointer xp;
    private FloatPointer yp;

    @Setup(Level.Trial)
    public void setup() {
        String core = OpenBlas.load();
        System.out.println("OpenBLAS core: " + core + ", OPENBLAS_CORETYPE="
                + System.getenv().getOrDefault("OPENBLAS_CORETYPE", "(unset)")
                + ", OPENBLAS_L2_SIZE=" + System.getenv().getOrDefault("OPENBLAS_L2_SIZE", "(unset)"));
        OpenBlas.threads(threads);
        allocateActivations();
        checkCopies();
        w = new Matrix[copies];
        wp = new FloatPointer[copies];
        for (int c = 0; c < copies; c++) {
            w[c] = Shapes.random(m, k, DType.F32, 42);
            wp[c] = OpenBlas.pointer(w[c]);
        }
        xp = OpenBlas.pointer(x);
        yp = OpenBlas.pointer(y);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Matrix c : w) {
            c.close();
        }
        closeActivations();
    }

    @Benchmark
    public Matrix sgemm() {
        FloatPointer weights = wp[nextCopy()];
        if (batch == 1) {
            OpenBlas.sgemv(weights, m, k, xp, yp);
        } else {
            OpenBlas.sgemm(weights, m, k, xp, batch, yp);
        }
        return y;
    }
}
