package dev.spruce.jmh;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.PreparedGemm;
import dev.spruce.kernel.scalar.ScalarBackend;
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
 * Dense y = W x (batch 1, GEMV) and Y = W X (batch > 1, GEMM) through the public Backend API, the
 * baseline every sparse kernel is compared with. Params follow the naming every Spruce benchmark uses
 * so {@code spruce bench} can line rows up: {@code shape} = "MxK", {@code batch} = tokens N,
 * {@code threads}, {@code dtype} = weight type.
 */
@State(Scope.Benchmark)
public class DenseBench extends KernelBench {
    @Param({"F32", "BF16"})
    public String dtype;

    /** The weights, {@link #copies} times (the same values in each), and each copy prepared. */
    private Matrix[] w;
    private Backend vector;
    private PreparedGemm[] prepared;
    private Backend scalar;

    @Setup(Level.Trial)
    public void setup() {
        allocateActivations();
        checkCopies();
        vector = Shapes.vectorBackend(threads);
        w = new Matrix[copies];
        prepared = new PreparedGemm[copies];
        for (int c = 0; c < copies; c++) {
            w[c] = Shapes.random(m, k, DType.parse(dtype), 42);
            prepared[c] = vector.prepareGemm(w[c]);
        }
        scalar = new ScalarBackend(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Matrix c : w) {
            c.close();
        }
        closeActivations();
    }

    @Benchmark
    public Matrix vector() {
        return dense(vector, w[nextCopy()], x, y);
    }

    /**
     * The product a model's dense layer runs: W prepared once ({@link Backend#prepareGemm}; on the Vector backend
     * F32 weights are panel-packed, 16-bit ones stay in place), any batch through the same call.
     */
    @Benchmark
    public Matrix prepared() {
        prepared[nextCopy()].gemm(x, y);
        return y;
    }

    /** The scalar reference; slow on big shapes, so {@code spruce bench} leaves it out unless asked. */
    @Benchmark
    public Matrix scalar() {
        return dense(scalar, w[nextCopy()], x, y);
    }
}
