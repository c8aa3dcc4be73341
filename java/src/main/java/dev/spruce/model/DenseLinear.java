package dev.spruce.model;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.PreparedGemm;
import dev.spruce.tensor.Matrix;

/**
 * A dense {@link Linear}: W (out x in, row-major) and an optional bias. Products go through the backend's
 * {@link Backend#prepareGemm prepared} form of W (on the Vector backend a panel-packed f32 copy, made at the
 * first product, which doubles the layer's memory for its fastest kernel; W itself stays for pruners).
 */
public final class DenseLinear extends BiasedLinear {
    private final Matrix weight;
    /** The backend's prepared form of {@link #weight}, made at the first product (pruning-only uses skip it). */
    private volatile PreparedGemm prepared;

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
        prepared().gemm(x, y);
    }

    @Override
    void multiplyAddBias(Matrix x, Matrix y, float[] bias) {
        prepared().gemm(x, y, bias);
    }

    private PreparedGemm prepared() {
        PreparedGemm p = prepared;
        if (p == null) {
            synchronized (this) {
                p = prepared;
                if (p == null) {
                    weight.requireOpen();
                    p = backend().prepareGemm(weight);
                    prepared = p;
                }
            }
        }
        return p;
    }

    /** Bytes of the backend's packed copy of the weights (0 until the first product, or if it has none). */
    public long preparedBytes() {
        PreparedGemm p = prepared;
        return p == null ? 0 : p.packedBytes();
    }

    @Override
    public void close() {
        prepared = null;
        weight.close();
    }

    @Override
    public String toString() {
        return "DenseLinear[" + name() + ", " + weight.shapeString() + " " + weight.dtype() + ", " + backend().name() + "]";
    }
}
