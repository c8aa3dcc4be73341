package dev.spruce.jmh;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.scalar.ScalarBackend;
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
 * 2:4 sparse y = S x (batch 1, spmv24) and Y = S X (batch > 1, spmm24) through the public Backend API. Same
 * params as the dense benchmark ({@code shape} = "MxK", {@code batch}, {@code threads}, {@code dtype} = value
 * type), so {@code spruce bench} lines each 2:4 row up with the dense and OpenBLAS rows of the same shape.
 * The weights are a random dense matrix pruned to 2:4 by magnitude (the two largest of every group of 4).
 */
@State(Scope.Benchmark)
public class Sparse24Bench extends KernelBench {
    @Param({"F32", "BF16"})
    public String dtype;

    /** The weights, {@link #copies} times (the same values in each). */
    private Sparse24[] s;
    private Backend vector;
    private Backend scalar;

    @Setup(Level.Trial)
    public void setup() {
        allocateActivations();
        checkCopies();
        DType dt = DType.parse(dtype);
        s = new Sparse24[copies];
        try (Matrix w = Matrix.of(magnitude24(m, k, 42), m, k, dt)) {
            for (int c = 0; c < copies; c++) {
                s[c] = Sparse24.pack(w, dt);
            }
        }
        vector = Shapes.vectorBackend(threads);
        scalar = new ScalarBackend(threads);
        // One product per copy: the Vector backend builds a layer's repacked copy on its first many-token call,
        // and with many copies the warm-up iterations would not reach them all.
        for (Sparse24 c : s) {
            sparse24(vector, c, x, y);
        }
    }

    /** Uniform [-1, 1) weights with the two smallest magnitudes of every group of 4 set to zero. */
    static float[] magnitude24(int m, int k, long seed) {
        float[] a = Shapes.randomArray(Math.multiplyExact(m, k), seed);
        for (int g = 0; g < a.length; g += 4) {
            for (int drop = 0; drop < 2; drop++) {
                int min = -1;
                for (int j = g; j < g + 4; j++) {
                    if (a[j] != 0f && (min < 0 || Math.abs(a[j]) < Math.abs(a[min]))) {
                        min = j;
                    }
                }
                a[min] = 0f;
            }
        }
        return a;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Sparse24 c : s) {
            c.close();
        }
        closeActivations();
    }

    @Benchmark
    public Matrix vector() {
        return sparse24(vector, s[nextCopy()], x, y);
    }

    /** The scalar reference; slow on big shapes, so {@code spruce bench} leaves it out unless asked. */
    @Benchmark
    public Matrix scalar() {
        return sparse24(scalar, s[nextCopy()], x, y);
    }
}
