package dev.spruce.model;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.Matrix;

/** A 2:4 semi-structured {@link Linear}: a packed {@link Sparse24} W (out x in) plus bias, run by {@link Backend#spmm24}. */
public final class Sparse24Linear implements Linear {
    private final String name;
    private final Sparse24 weight;
    private final float[] bias;
    private final Backend backend;

    /** Takes ownership of {@code weight}; copies {@code bias} (length out, or null). */
    public Sparse24Linear(String name, Sparse24 weight, float[] bias, Backend backend) {
        Checks.notNull(name, "name");
        Checks.notNull(weight, "weight");
        Checks.notNull(backend, "backend");
        weight.requireOpen();
        if (bias != null && bias.length != weight.rows()) {
            throw new IllegalArgumentException("layer " + name + ": bias has " + bias.length + " values but W is "
                    + weight.shapeString() + " (out x in)");
        }
        if (!backend.supports(Op.SPMM24, weight.valueType())) {
            throw new IllegalArgumentException("layer " + name + ": backend " + backend.name()
                    + " cannot run SPMM24 on " + weight.valueType() + " values");
        }
        this.name = name;
        this.weight = weight;
        this.bias = bias == null ? null : bias.clone();
        this.backend = backend;
    }

    /** On the fastest CPU backend for 2:4 products with this value type. */
    public Sparse24Linear(String name, Sparse24 weight, float[] bias) {
        this(name, weight, bias, Backends.bestCpu(Op.SPMM24, weight.valueType()));
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
    public String name() {
        return name;
    }

    @Override
    public int inFeatures() {
        return weight.cols();
    }

    @Override
    public int outFeatures() {
        return weight.rows();
    }

    @Override
    public String kind() {
        return "sparse24";
    }

    @Override
    public long bytes() {
        return weight.byteSize() + (bias == null ? 0 : 4L * bias.length);
    }

    /** The packed weights; owned by this layer, do not close. */
    public Sparse24 weight() {
        return weight;
    }

    public float[] bias() {
        return bias == null ? null : bias.clone();
    }

    public Backend backend() {
        return backend;
    }

    @Override
    public void forward(Matrix x, Matrix y) {
        backend.spmm24(weight, x, y);
        DenseLinear.addBias(bias, y);
    }

    @Override
    public void close() {
        weight.close();
    }

    @Override
    public String toString() {
        return "Sparse24Linear[" + name + ", " + weight.shapeString() + " " + weight.valueType() + ", "
                + backend.name() + "]";
    }
}
