package dev.spruce.model;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A dense {@link Linear}: W (out x in, row-major) and an optional bias, multiplied by {@link Backend#gemm}. */
public final class DenseLinear implements Linear {
    private final String name;
    private final Matrix weight;
    private final float[] bias;
    private final Backend backend;

    /**
     * Takes ownership of {@code weight} (out x in) and copies {@code bias} (length out, or null for none).
     */
    public DenseLinear(String name, Matrix weight, float[] bias, Backend backend) {
        Checks.notNull(name, "name");
        Checks.notNull(weight, "weight");
        Checks.notNull(backend, "backend");
        weight.requireOpen();
        if (bias != null && bias.length != weight.rows()) {
            throw new IllegalArgumentException("layer " + name + ": bias has " + bias.length + " values but W is "
                    + weight.shapeString() + " (out x in)");
        }
        if (!backend.supports(Op.GEMM, weight.dtype())) {
            throw new IllegalArgumentException("layer " + name + ": backend " + backend.name()
                    + " cannot run GEMM on " + weight.dtype() + " weights");
        }
        this.name = name;
        this.weight = weight;
        this.bias = bias == null ? null : bias.clone();
        this.backend = backend;
    }

    /** A dense layer on the fastest CPU backend for F32 GEMM. */
    public DenseLinear(String name, Matrix weight, float[] bias) {
        this(name, weight, bias, Backends.bestCpu(Op.GEMM, weight.dtype()));
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
        return "dense";
    }

    @Override
    public long bytes() {
        return weight.byteSize() + (bias == null ? 0 : 4L * bias.length);
    }

    /** The weights (out x in); owned by this layer, do not close. Pruners read them from here. */
    public Matrix weight() {
        return weight;
    }

    /** A copy of the bias, or null. */
    public float[] bias() {
        return bias == null ? null : bias.clone();
    }

    public Backend backend() {
        return backend;
    }

    @Override
    public void forward(Matrix x, Matrix y) {
        backend.gemm(weight, x, y);
        addBias(bias, y);
    }

    /** Adds {@code bias} to every row of {@code y} (no-op for null); shared by the other Linear layouts. */
    public static void addBias(float[] bias, Matrix y) {
        if (bias == null) {
            return;
        }
        MemorySegment s = y.segment();
        int m = y.cols();
        for (int r = 0, n = y.rows(); r < n; r++) {
            long base = (long) r * m;
            for (int c = 0; c < m; c++) {
                s.setAtIndex(ValueLayout.JAVA_FLOAT, base + c, s.getAtIndex(ValueLayout.JAVA_FLOAT, base + c) + bias[c]);
            }
        }
    }

    @Override
    public void close() {
        weight.close();
    }

    @Override
    public String toString() {
        return "DenseLinear[" + name + ", " + weight.shapeString() + " " + weight.dtype() + ", " + backend.name() + "]";
    }

}
