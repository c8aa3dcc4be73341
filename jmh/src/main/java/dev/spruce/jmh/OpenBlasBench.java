package dev.spruce.jmh;

import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.bytedeco.javacpp.FloatPointer;
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
 * OpenBLAS sgemv (batch 1) / sgemm (batch > 1), f32, on off-heap matrices with no per-call copies:
 * the outside anchor, run in the same JMH session as the Spruce kernels. OpenBLAS's own thread count
 * is set to the {@code threads} param. Which OpenBLAS core ran is printed at setup (it depends on
 * OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the environment, see {@code spruce bench --help}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"},
        jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class OpenBlasBench {
    @Param({"4096x4096", "11008x4096", "4096x11008", "2304x768", "768x768", "3072x768", "768x3072",
            "384x384", "1536x384", "384x1536"})
    public String shape;

    @Param({"1", "8", "32", "128", "512", "2048"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    private int m;
    private int k;
    private Matrix w;
    private Matrix x;
    private Matrix y;
    private FloatPointer wp;
    private FloatPointer xp;
    private FloatPointer yp;

    @Setup(Level.Trial)
    public void setup() {
        String core = OpenBlas.load();
        System.out.println("OpenBLAS core: " + core + ", OPENBLAS_CORETYPE="
                + System.getenv().getOrDefault("OPENBLAS_CORETYPE", "(unset)")
                + ", OPENBLAS_L2_SIZE=" + System.getenv().getOrDefault("OPENBLAS_L2_SIZE", "(unset)"));
        OpenBlas.threads(threads);
        int[] mk = Shapes.parse(shape);
        m = mk[0];
        k = mk[1];
        w = Shapes.random(m, k, DType.F32, 42);
        x = Shapes.random(batch, k, DType.F32, 7);
        y = Matrix.allocate(batch, m, DType.F32);
        wp = OpenBlas.pointer(w);
        xp = OpenBlas.pointer(x);
        yp = OpenBlas.pointer(y);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        w.close();
        x.close();
        y.close();
    }

    @Benchmark
    public Matrix sgemm() {
        if (batch == 1) {
            OpenBlas.sgemv(wp, m, k, xp, yp);
        } else {
            OpenBlas.sgemm(wp, m, k, xp, batch, yp);
        }
        return y;
    }
}
