package dev.spruce.kernel.vector;

import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.Parallel;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.layout.BlockDiagonal;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.lang.foreign.MemorySegment;

/**
 * ARMOR's product Y = A (S (B X)) + bias on {@link VectorBackend}: argument checks, scratch, kernel choice and
 * thread split. Holds no Vector API statics.
 *
 * <p>Steps: U = B X with {@link BlockDiagonalGemm} (split over B's blocks, or over tokens when there are fewer
 * blocks than threads; from the layout's cached transposed blocks when bs is a multiple of the lanes); then the
 * 2:4 core. With few tokens (the core's dot-product kernel) the core and A are
 * fused: each worker computes whole A-blocks of core rows and applies A's block (+ bias) to them at once, while
 * they are in L1, so there is one barrier less and V never travels between cores. Otherwise the core runs its
 * row-vectorised kernel over all rows and A follows as a blocked GEMM.
 */
final class ArmorVectorOps {
    private final int threads;
    private final BlockDiagonalKernel blocks;
    private final Sparse24VectorOps sparse24;

    ArmorVectorOps(int bits, int threads, Sparse24VectorOps sparse24) {
        this.threads = threads;
        this.blocks = WidthSpecialized.instance(BlockDiagonalGemm.class, BlockDiagonalKernel.class, bits);
        this.sparse24 = sparse24;
    }

    static boolean supports(DType core) {
        return Sparse24VectorOps.supports(core);
    }

    void armor(ArmorLayout l, Matrix x, Matrix y) {
        Checks.armor(l, x, y);
        final Sparse24 s = l.core();
        if (!supports(s.valueType())) {
            throw new UnsupportedOperationException("backend 'vector' does not implement " + Op.ARMOR + " for "
                    + s.valueType() + " core values (F32 and BF16 only)");
        }
        final int n = x.rows();
        final int m = l.rows();
        final int k = l.cols();
        final BlockDiagonal a = l.a();
        final MemorySegment bias = l.biasSegment();
        final MemorySegment u = ArmorScratch.INPUT_SIDE.get(4L * n * k);
        final MemorySegment v = ArmorScratch.OUTPUT_SIDE.get(4L * n * m);
        final MemorySegment ys = y.segment();
        blockDiagonal(l.b(), x.segment(), u, n, null);
        if (sparse24.usesDots(s, n)) {
            final int bsA = a.blockSize();
            final boolean outerA = useOuter(bsA);
            final MemorySegment ad = outerA ? a.transposedSegment() : a.segment();
            // Chunks of whole A-blocks, at least 16 rows (the 2:4 dot kernel's grain). No small-product cut here,
            // as in Sparse24VectorOps.dots (the 2:4 dot kernel measured faster split even on MiniLM's layers).
            final int grain = bsA * ((16 + bsA - 1) / bsA);
            Parallel.forRange(m, threads, grain, (r0, r1) -> {
                sparse24.dotRows(s, u, n, v, r0, r1);
                if (outerA) {
                    blocks.outer(ad, m, bsA, v, ys, bias, 0, n, r0 / bsA, r1 / bsA);
                } else {
                    blocks.dots(ad, m, bsA, v, ys, bias, 0, n, r0 / bsA, r1 / bsA);
                }
            });
        } else {
            sparse24.product(s, u, n, v);
            blockDiagonal(a, v, ys, n, bias);
        }
    }

    /** The axpy/GEMM form (transposed blocks, no horizontal sums) needs whole vectors per block column. */
    private boolean useOuter(int bs) {
        return bs % blocks.lanes() == 0;
    }

    /** out = D in (+ bias) for n tokens, split over D's blocks, or over tokens when blocks are fewer than threads. */
    private void blockDiagonal(BlockDiagonal d, MemorySegment in, MemorySegment out, int n, MemorySegment bias) {
        final int size = d.n();
        final int bs = d.blockSize();
        final int nb = d.blocks();
        final boolean outer = useOuter(bs);
        final MemorySegment ds = outer ? d.transposedSegment() : d.segment();
        final int t = Parallel.threadsFor((long) n * size * bs, threads);
        if (nb >= t) {
            Parallel.forRange(nb, t, 1, (b0, b1) -> run(outer, ds, size, bs, in, out, bias, 0, n, b0, b1));
        } else {
            Parallel.forRange(n, t, 4, (t0, t1) -> run(outer, ds, size, bs, in, out, bias, t0, t1, 0, nb));
        }
    }

    private void run(boolean outer, MemorySegment d, int size, int bs, MemorySegment in, MemorySegment out,
                     MemorySegment bias, int t0, int t1, int b0, int b1) {
        if (outer) {
            blocks.outer(d, size, bs, in, out, bias, t0, t1, b0, b1);
        } else {
            blocks.dots(d, size, bs, in, out, bias, t0, t1, b0, b1);
        }
    }
}
