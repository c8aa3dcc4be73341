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
        final int[] cuts = balancedCuts(rowPtr, t == 1 ? 1 : Math.min(br, PIECES_PER_THREAD * t));
        final int pieces = cuts.length - 1;
        if (n < tileMinTokens) {
            Parallel.forRange(pieces, t, 1, (q0, q1) ->
                    dot.rows(vals, bf16, rowPtr, cols, bh, bw, m, k, xs, n, ys, cuts[q0], cuts[q1]));
            return;
        }
        final int nb = tile.blockTokens();
        final int blocks = (n + nb - 1) / nb;
        final float[] xt = PackBuffer.PACKED_X.get((long) blocks * nb * k);
        Parallel.forRange(TileKernel.packUnits(n, k, nb), t, 1, (u0, u1) -> packer.pack(xs, n, k, xt, u0, u1));
        Parallel.forRange(pieces, t, 1, (q0, q1) ->
                tile.rows(vals, bf16, rowPtr, cols, bh, bw, m, k, xt, n, ys, cuts[q0], cuts[q1]));
    }

    /** Work pieces per thread: a pruner's mask may put many more blocks in some block rows than in others. */
    static final int PIECES_PER_THREAD = 4;

    /**
     * Block-row boundaries cutting [0, blockRows) into {@code pieces} runs of about equal work, counting each kept
     * block and each block row (its fixed cost: zeroing, writing Y) as one unit. cuts[0] = 0, cuts[pieces] =
     * blockRows, non-decreasing; a piece may be empty. Equal row counts would give one thread most of the work when
     * the kept blocks crowd into some rows.
     */
    static int[] balancedCuts(int[] rowPtr, int pieces) {
        int br = rowPtr.length - 1;
        pieces = Math.max(1, pieces);
        long total = (long) rowPtr[br] + br;
        int[] cuts = new int[pieces + 1];
        int i = 0;
        for (int q = 1; q < pieces; q++) {
            long target = total * q / pieces;
            while (i < br && (long) rowPtr[i] + i < target) {
                i++;
            }
            cuts[q] = i;
        }
        cuts[pieces] = br;
        return cuts;
    }
}
