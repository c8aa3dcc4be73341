package dev.spruce.jmh;

import dev.spruce.kernel.Backend;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * What the per-shape kernel benchmarks share besides the run settings: the params {@code spruce bench} lines rows
 * up by ({@code shape} = "MxK", {@code batch} = tokens N, {@code threads}) and the activations X (N x K) and
 * output Y (N x M). Subclasses add their weights (and a {@code dtype} param where the kernel takes one).
 */
@State(Scope.Benchmark)
public abstract class KernelBench extends JmhSettings {
    @Param({"4096x4096", "11008x4096", "4096x11008", "2304x768", "768x768", "3072x768", "768x3072",
            "384x384", "1536x384", "384x1536"})
    public String shape;

    @Param({"1", "8", "32", "128", "512", "2048"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    /**
     * Copies of the weights, used in turn, one per call. With 1 a layer's weights stay partly in the last-level
     * cache between calls (this project's VM reports a 480 MB L3), which flatters a memory-bound kernel the more
     * the smaller its weights are; with enough copies to overflow it every call reads its weights from memory, as
     * a model with many layers does.
     */
    @Param({"1"})
    public int copies;

    private int turn;

    /** The copy the next call uses: 0, 1, ..., copies - 1, 0, ... */
    protected int nextCopy() {
        int c = turn;
        turn = c + 1 == copies ? 0 : c + 1;
        return c;
    }

    /** Checks the {@link #copies} param; call in setup. */
    protected void checkCopies() {
        if (copies < 1) {
            throw new IllegalArgumentException("copies must be >= 1, got " + copies);
        }
    }

    /** Output and input features of {@link #shape}. */
    protected int m;
    protected int k;
    protected Matrix x;
    protected Matrix y;

    /** Parses the shape and allocates X (seeded random) and Y; call first in a subclass's setup. */
    protected void allocateActivations() {
        int[] mk = Shapes.parse(shape);
        m = mk[0];
        k = mk[1];
        x = Shapes.random(batch, k, DType.F32, 7);
        y = Matrix.allocate(batch, m, DType.F32);
    }

    protected void closeActivations() {
        x.close();
        y.close();
    }

    /** y = W x for one token (the GEMV kernel), Y = W X for more (the GEMM kernel). */
    static Matrix dense(Backend b, Matrix w, Matrix x, Matrix y) {
        if (x.rows() == 1) {
            b.gemv(w, x, y);
        } else {
            b.gemm(w, x, y);
        }
        return y;
    }

    /** The same for a 2:4 matrix. */
    static Matrix sparse24(Backend b, Sparse24 s, Matrix x, Matrix y) {
        if (x.rows() == 1) {
            b.spmv24(s, x, y);
        } else {
            b.spmm24(s, x, y);
        }
        return y;
    }
}
