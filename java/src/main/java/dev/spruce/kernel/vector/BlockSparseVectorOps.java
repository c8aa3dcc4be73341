package dev.spruce.kernel.vector;

import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.Parallel;
import dev.spruce.layout.BlockSparse;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.lang.foreign.MemorySegment;

/**
 * The block-sparse product of {@link VectorBackend}: argument checks, the choice between the two kernels and the
 * split of block rows over {@link Parallel}. Holds no Vector API statics; the kernels are width-specialised copies.
 *
 * <p>Scheme by batch size n (the dense backend's cut): fewer than {@code blockTokens/2} tokens use
 * {@link BlockSparseGemv} (kept blocks stream, memory-bound); more pack X transposed once (the dense
 * {@link TileKernel#pack}, shared by all threads) and use {@link BlockSparseGemm} (register-tiled, compute-bound,
 * time proportional to the kept blocks). Work is split by block rows, so a thread owns whole output rows. Any
 * block size runs; F32 and BF16 values (F16 is refused, as for 2:4: no cheap half-float widening here).
 */
final class BlockSparseVectorOps {
    private final int threads;
    private final BlockDotKernel dot;
    private final BlockTileKernel tile;
    private final TileKernel packer;
    private final int tileMinTokens;

    BlockSparseVectorOps(int bits, int threads) {
        this.threads = threads;
        this.dot = WidthSpecialized.instance(BlockSparseGemv.class, BlockDotKernel.class, bits);
        this.tile = WidthSpecialized.instance(BlockSparseGemm.class, BlockTileKernel.class, bits);
        this.packer = WidthSpecialized.instance(DenseGemm.class, TileKernel.class, bits);
        if (packer.blockTokens() != tile.blockTokens()) {
            throw new IllegalStateException("block-sparse GEMM expects the dense packing's token block "
                    + tile.blockTokens() + ", got " + packer.blockTokens());
        }
        this.tileMinTokens = Integer.getInteger("spruce.block.tileMinTokens", tile.blockTokens() / 2);
    }

    static boolean supports(DType values) {
        return values == DType.F32 || values == DType.BF16;
    }

    void blockSpmm(BlockSparse s, Matrix x, Matrix y) {
        Checks.blockSpmm(s, x, y);
        if (!supports(s.valueType())) {
            throw new UnsupportedOperationException("backend 'vector' does not implement " + Op.BLOCK_SPMM + " for "
                    + s.valueType() + " weights (F32 and BF16 values only)");
        }
        final MemorySegment vals = s.values();
        final boolean bf16 = s.valueType() == DType.BF16;
        final int[] rowPtr = s.rowPointers();
        final int[] cols = s.blockColumns();
        final int bh = s.blockHeight();
        final int bw = s.blockWidth();
        final int m = s.rows();
        final int k = s.cols();
        final int n = x.rows();
        final MemorySegment xs = x.segment();
        final MemorySegment ys = y.segment();
        final int br = s.blockRows();
        int t = Parallel.threadsFor((long) s.blockCount() * bh * bw * n, threads);
        if (n < tileMinTokens) {
            Parallel.forRange(br, t, 1, (i0, i1) -> dot.rows(vals, bf16, rowPtr, cols, bh, bw, m, k, xs, n, ys, i0, i1));
            return;
        }
        final int nb = tile.blockTokens();
        final int blocks = (n + nb - 1) / nb;
        final float[] xt = PackBuffer.PACKED_X.get((long) blocks * nb * k);
        Parallel.forRange(blocks, t, 1, (b0, b1) -> packer.pack(xs, n, k, xt, b0, b1));
        Parallel.forRange(br, t, 1, (i0, i1) -> tile.rows(vals, bf16, rowPtr, cols, bh, bw, m, k, xt, n, ys, i0, i1));
    }
}
