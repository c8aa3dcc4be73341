package dev.spruce.model;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.tensor.Matrix;

/**
 * An ARMOR-factorised {@link Linear}: y = A (S (B x)) + bias from an {@link ArmorLayout}, run by
 * {@link Backend#armor}.
 *
 * <p>The bias lives in the layout, not in {@link BiasedLinear}: the backend adds it inside its last step (the A
 * product), which saves a pass over Y. So {@link #bias()} is null here; read {@code layout().bias()} instead.
 * {@link #bytes()} counts it once, through the layout's byte size.
 */
public final class ArmorLinear extends BiasedLinear {
    private final ArmorLayout layout;

    /** Takes ownership of {@code layout} (its bias is the layer's bias). */
    public ArmorLinear(String name, ArmorLayout layout, Backend backend) {
        super(name, open(layout).rows(), layout.cols(), layout.shapeString(), null, backend, Op.ARMOR,
                layout.core().valueType());
        this.layout = layout;
    }

    /** On the fastest CPU backend for ARMOR with this core value type. */
    public ArmorLinear(String name, ArmorLayout layout) {
        this(name, layout, Backends.bestCpu(Op.ARMOR, open(layout).core().valueType()));
    }

    private static ArmorLayout open(ArmorLayout layout) {
        Checks.notNull(layout, "layout");
        layout.requireOpen();
        return layout;
    }

    @Override
    public String kind() {
        return "armor";
    }

    @Override
    long weightBytes() {
        return layout.byteSize();
    }

    /** The factorised weights (and bias); owned by this layer, do not close. */
    public ArmorLayout layout() {
        return layout;
    }

    @Override
    void multiply(Matrix x, Matrix y) {
        backend().armor(layout, x, y);
    }

    @Override
    public void close() {
        layout.close();
    }

    @Override
    public String toString() {
        return "ArmorLinear[" + name() + ", " + layout.shapeString() + " " + layout.core().valueType() + ", bs A "
                + layout.a().blockSize() + ", bs B " + layout.b().blockSize() + ", " + backend().name() + "]";
    }
}
