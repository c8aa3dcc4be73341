package dev.spruce.model;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.tensor.Matrix;

/** A dense {@link Linear}: W (out x in, row-major) and an optional bias, multiplied by {@link Backend#gemm}. */
public final class DenseLinear extends BiasedLinear {
    private final Matrix weight;

    /**
     * Takes ownership of {@code weight} (out x in) and copies {@code bias} (length out, or null for none).
     */
    public DenseLinear(String name, Matrix weight, float[] bias, Backend backend) {
        super(name, open(weight).rows(), weight.cols(), weight.shapeString(), bias, backend, Op.GEMM, weight.dtype());
        this.weight = weight;
    }

    /** A dense layer on the fastest CPU backend for F32 GEMM. */
    public DenseLinear(String name, Matrix weight, float[] bias) {
        this(name, weight, bias, Backends.bestCpu(Op.GEMM, open(weight).dtype()));
    }

    private static Matrix open(Matrix weight) {
        Checks.notNull(weight, "weight");
        weight.requireOpen();
        return weight;
    }

    @Override
    public String kind() {
        return "dense";
    }

    @Override
    long weightBytes() {
        return weight.byteSize();
    }

    /** The weights (out x in); owned by this layer, do not close. Pruners read them from here. */
    public Matrix weight() {
        return weight;
    }

    @Override
    void multiply(Matrix x, Matrix y) {
        backend().gemm(weight, x, y);
    }

    @Override
    public void close() {
        weight.close();
    }

    @Override
    public String toString() {
        return "DenseLinear[" + name() + ", " + weight.shapeString() + " " + weight.dtype() + ", " + backend().name() + "]";
    }
}
