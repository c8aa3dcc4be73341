package dev.spruce.jmh;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.scalar.ScalarBackend;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Dense y = W x (batch 1, GEMV) and Y = W X (batch > 1, GEMM) through the public Backend API, the
 * baseline every sparse kernel is compared with. Params follow the naming every Spruce benchmark uses
 * so {@code spruce bench} can line rows up: {@code shape} = "MxK", {@code batch} = tokens N,
 * {@code threads}, {@code dtype} = weight type.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"},
        jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class DenseBench {
    @Param({"4096x4096", "11008x4096", "4096x11008", "2304x768", "768x768", "3072x768", "768x3072",
            "384x384", "1536x384", "384x1536"})
    public String shape;

    @Param({"1", "8", "32", "128", "512", "2048"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    @Param({"F32", "BF16"})
    public String dtype;

    private Matrix w;
    private Matrix x;
    private Matrix y;
    private Backend vector;
    private Backend scalar;

    @Setup(Level.Trial)
    public void setup() {
        int[] mk = Shapes.parse(shape);
        w = Shapes.random(mk[0], mk[1], DType.parse(dtype), 42);
        x = Shapes.random(batch, mk[1], DType.F32, 7);
        y = Matrix.allocate(batch, mk[0], DType.F32);
        vector = Shapes.vectorBackend(threads);
        scalar = new ScalarBackend(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        w.close();
        x.close();
        y.close();
    }

    @Benchmark
    public Matrix vector() {
        if (batch == 1) {
            vector.gemv(w, x, y);
        } else {
            vector.gemm(w, x, y);
        }
        return y;
    }

    /** The scalar reference; slow on big shapes, so {@code spruce bench} leaves it out unless asked. */
    @Benchmark
    public Matrix scalar() {
        if (batch == 1) {
            scalar.gemv(w, x, y);
        } else {
            scalar.gemm(w, x, y);
        }
        return y;
    }
}
