package dev.spruce.model;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

/**
 * What every {@link Linear} layout shares: a name, an out x in shape, an optional bias added after the product,
 * and the backend that runs the product. Subclasses hold the weights in their layout and do the multiply.
 */
abstract class BiasedLinear implements Linear {
    private final String name;
    private final int out;
    private final int in;
    private final float[] bias;
    private final Backend backend;

    /** Checks everything before the subclass keeps its weights; copies {@code bias} (length out, or null). */
    BiasedLinear(String name, int out, int in, String shape, float[] bias, Backend backend, Op op, DType weights) {
        Checks.notNull(name, "name");
        Checks.notNull(backend, "backend");
        if (bias != null && bias.length != out) {
            throw new IllegalArgumentException("layer " + name + ": bias has " + bias.length + " values but W is "
                    + shape + " (out x in)");
        }
        if (!backend.supports(op, weights)) {
            throw new IllegalArgumentException("layer " + name + ": backend " + backend.name()
                    + " cannot run " + op + " on " + weights + " weights");
        }
        this.name = name;
        this.out = out;
        this.in = in;
        this.bias = bias == null ? null : bias.clone();
        this.backend = backend;
    }

    /** y = W x for every token row, in this layer's layout. */
    abstract void multiply(Matrix x, Matrix y);

    /** Bytes of the stored weights (without the bias). */
    abstract long weightBytes();

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final int inFeatures() {
        return in;
    }

    @Override
    public final int outFeatures() {
        return out;
    }

    @Override
    public final long bytes() {
        return weightBytes() + (bias == null ? 0 : 4L * bias.length);
    }

    /** A copy of the bias, or null. */
    public final float[] bias() {
        return bias == null ? null : bias.clone();
    }

    public final Backend backend() {
        return backend;
    }

    @Override
    public final void forward(Matrix x, Matrix y) {
        multiplyAddBias(x, y, bias);
    }

    /** Y = X W^T + bias ({@code bias} null for none); a layout whose product can fuse the bias overrides this. */
    void multiplyAddBias(Matrix x, Matrix y, float[] bias) {
        multiply(x, y);
        if (bias != null) {
            y.addToRows(bias);
        }
    }
}
