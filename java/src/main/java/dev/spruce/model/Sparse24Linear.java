package dev.spruce.model;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.Matrix;

/** A 2:4 semi-structured {@link Linear}: a packed {@link Sparse24} W (out x in) plus bias, run by {@link Backend#spmm24}. */
public final class Sparse24Linear extends BiasedLinear {
    private final Sparse24 weight;

    /** Takes ownership of {@code weight}; copies {@code bias} (length out, or null). */
    public Sparse24Linear(String name, Sparse24 weight, float[] bias, Backend backend) {
        super(name, open(weight).rows(), weight.cols(), weight.shapeString(), bias, backend, Op.SPMM24,
                weight.valueType());
        this.weight = weight;
    }

    private static Sparse24 open(Sparse24 weight) {
        Checks.notNull(weight, "weight");
        weight.requireOpen();
        return weight;
    }

    /** On the fastest CPU backend for 2:4 products with this value type. */
    public Sparse24Linear(String name, Sparse24 weight, float[] bias) {
        this(name, weight, bias, Backends.bestCpu(Op.SPMM24, open(weight).valueType()));
    }

    /**
     * Packs a pruned dense matrix (out x in, already 2:4 along in) with the bias of the layer it replaces.
     * The dense matrix stays the caller's.
     */
    public static Sparse24Linear pack(String name, Matrix prunedDense, float[] bias, dev.spruce.tensor.DType values) {
        Sparse24 s = Sparse24.pack(prunedDense, values);
        try {
            return new Sparse24Linear(name, s, bias);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    @Override
    public String kind() {
        return "sparse24";
    }

    @Override
    long weightBytes() {
        return weight.byteSize();
    }

    /** The packed weights; owned by this layer, do not close. */
    public Sparse24 weight() {
        return weight;
    }

    @Override
    void multiply(Matrix x, Matrix y) {
        backend().spmm24(weight, x, y);
    }

    @Override
    public void close() {
        weight.close();
    }

    @Override
    public String toString() {
        return "Sparse24Linear[" + name() + ", " + weight.shapeString() + " " + weight.valueType() + ", "
                + backend().name() + "]";
    }
}
