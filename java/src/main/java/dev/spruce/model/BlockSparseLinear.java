package dev.spruce.model;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.layout.BlockSparse;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

/** A block-sparse {@link Linear}: a packed {@link BlockSparse} W (out x in, BSR) plus bias, run by {@link Backend#blockSpmm}. */
public final class BlockSparseLinear extends BiasedLinear {
    private final BlockSparse weight;

    /** Takes ownership of {@code weight}; copies {@code bias} (length out, or null). */
    public BlockSparseLinear(String name, BlockSparse weight, float[] bias, Backend backend) {
        super(name, open(weight).rows(), weight.cols(), weight.shapeString(), bias, backend, Op.BLOCK_SPMM,
                weight.valueType());
        this.weight = weight;
    }

    /** On the fastest CPU backend for block-sparse products with this value type. */
    public BlockSparseLinear(String name, BlockSparse weight, float[] bias) {
        this(name, weight, bias, Backends.bestCpu(Op.BLOCK_SPMM, open(weight).valueType()));
    }

    private static BlockSparse open(BlockSparse weight) {
        Checks.notNull(weight, "weight");
        weight.requireOpen();
        return weight;
    }

    /**
     * Packs a block-pruned dense matrix (out x in) keeping the blocks {@code keep} names (blockRows*blockCols flags,
     * row-major; see {@link BlockSparse#fromDense(Matrix, int, int, boolean[], DType)}), with the bias of the layer
     * it replaces. The dense matrix stays the caller's.
     */
    public static BlockSparseLinear pack(String name, Matrix prunedDense, int bh, int bw, boolean[] keep, float[] bias,
                                         DType values) {
        BlockSparse s = BlockSparse.fromDense(prunedDense, bh, bw, keep, values);
        try {
            return new BlockSparseLinear(name, s, bias);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    @Override
    public String kind() {
        return "block";
    }

    @Override
    long weightBytes() {
        return weight.byteSize();
    }

    /** The packed weights; owned by this layer, do not close. */
    public BlockSparse weight() {
        return weight;
    }

    @Override
    void multiply(Matrix x, Matrix y) {
        backend().blockSpmm(weight, x, y);
    }

    @Override
    public void close() {
        weight.close();
    }

    @Override
    public String toString() {
        return "BlockSparseLinear[" + name() + ", " + weight.shapeString() + " " + weight.blockHeight() + "x"
                + weight.blockWidth() + " blocks, density " + String.format(java.util.Locale.ROOT, "%.3f",
                weight.density()) + " " + weight.valueType() + ", " + backend().name() + "]";
    }
}
