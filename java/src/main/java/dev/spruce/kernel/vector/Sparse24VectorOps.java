package dev.spruce.kernel.vector;

import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.Parallel;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.lang.foreign.MemorySegment;

/**
 * The 2:4 products of {@link VectorBackend}: argument checks, the choice between the two kernels and the split of
 * rows over {@link Parallel}. Holds no Vector API statics; the kernels are width-specialised copies.
 *
 * <p>Scheme by batch size n: fewer than {@code blockTokens/2} tokens use {@link Sparse24Gemv} (weights stream
 * once, activations selected in registers: memory-bound, wins by bytes); more use {@link Sparse24Gemm}
 * (transposed activation tile, broadcast outer products: compute-bound, wins by skipping half the FMAs).
 * F32 and BF16 values; F16 values are refused (there is no half-float widening in the Vector API to use here).
 */
final class Sparse24VectorOps {
    /** Rows whose partial sums are kept together in the many-token scheme (-Dspruce.sparse24.outerRowBlock). */
    static final int ROW_BLOCK = Integer.getInteger("spruce.sparse24.outerRowBlock", 64);

    private final int threads;
    private final Sparse24DotKernel dot;
    private final Sparse24OuterKernel outer;
    private final int outerMinTokens;

    Sparse24VectorOps(int bits, int threads) {
        this.threads = threads;
        this.dot = WidthSpecialized.instance(Sparse24Gemv.class, Sparse24DotKernel.class, bits);
        this.outer = WidthSpecialized.instance(Sparse24Gemm.class, Sparse24OuterKernel.class, bits);
        this.outerMinTokens = Integer.getInteger("spruce.sparse24.outerMinTokens", outer.blockTokens() / 2);
    }

    static boolean supports(DType values) {
        return values == DType.F32 || values == DType.BF16;
    }

    private static void requireValues(Sparse24 s, Op op) {
        if (!supports(s.valueType())) {
            throw new UnsupportedOperationException("backend 'vector' does not implement " + op + " for "
                    + s.valueType() + " weights (F32 and BF16 values only)");
        }
    }

    void spmv24(Sparse24 s, Matrix x, Matrix y) {
        Checks.spmv24(s, x, y);
        requireValues(s, Op.SPMV24);
        dots(s, x, y);
    }

    void spmm24(Sparse24 s, Matrix x, Matrix y) {
        Checks.spmm24(s, x, y);
        requireValues(s, Op.SPMM24);
        if (x.rows() < outerMinTokens) {
            dots(s, x, y);
        } else {
            outers(s, x, y);
        }
    }

    private void dots(Sparse24 s, Matrix x, Matrix y) {
        final MemorySegment vals = s.values();
        final MemorySegment codes = s.codes();
        final MemorySegment xs = x.segment();
        final MemorySegment ys = y.segment();
        final boolean bf16 = s.valueType() == DType.BF16;
        final int m = s.rows();
        final int k = s.cols();
        final int n = x.rows();
        // No Parallel.threadsFor cut here: tried 2026-11-30, MiniLM's 2:4 layers on one thread made the demo's
        // batch-1 speed drop from 41 to 26 sentences/s (this path costs more per multiply-add than dense GEMM).
        Parallel.forRange(m, threads, 16, (r0, r1) -> dot.rows(vals, codes, bf16, m, k, xs, n, ys, r0, r1));
    }

    private void outers(Sparse24 s, Matrix x, Matrix y) {
        outers(s, x.segment(), x.rows(), y.segment());
    }

    private void outers(Sparse24 s, MemorySegment xs, int n, MemorySegment ys) {
        final MemorySegment vals = s.values();
        final MemorySegment codes = s.codes();
        final boolean bf16 = s.valueType() == DType.BF16;
        final int m = s.rows();
        final int k = s.cols();
        final int tb = outer.blockTokens();
        final int kTile = outer.kTile();
        final float[] xt = new float[k * tb];
        for (int t0 = 0; t0 < n; t0 += tb) {
            final int tokens = Math.min(tb, n - t0);
            transpose(xs, k, t0, tokens, 0, k, xt, tb);
            final int ft0 = t0;
            Parallel.forRange(m, threads, ROW_BLOCK, (r0, r1) -> {
                // Partial sums of ROW_BLOCK rows x tb tokens (32 KB at 512 bits, L1/L2) are kept across the K
                // tiles, so each 32 KB XT slice is loaded into L1 once per row block; XT as a whole sits in L2.
                // (Row blocks of 32-512 measured within noise of each other on 4096x4096 x 256 tokens.)
                float[] acc = new float[ROW_BLOCK * tb];
                for (int rb = r0; rb < r1; rb += ROW_BLOCK) {
                    int re = Math.min(r1, rb + ROW_BLOCK);
                    java.util.Arrays.fill(acc, 0f);
                    for (int k0 = 0; k0 < k; k0 += kTile) {
                        outer.tile(vals, codes, bf16, k, xt, k0, Math.min(kTile, k - k0), acc, rb, re);
                    }
                    for (int r = rb; r < re; r++) {
                        int a = (r - rb) * tb;
                        for (int j = 0; j < tokens; j++) {
                            ys.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, (long) (ft0 + j) * m + r, acc[a + j]);
                        }
                    }
                }
            });
        }
    }

    // ---------------------------------------------------------------- for ARMOR's middle step (ArmorVectorOps)

    /** Whether an n-token product takes the dot-product (register selection) kernel. */
    boolean usesDots(int n) {
        return n < outerMinTokens;
    }

    /** Rows [r0, r1) of Y = S X on raw, already checked segments (X is n x K, Y n x M), dot-product kernel. */
    void dotRows(Sparse24 s, MemorySegment xs, int n, MemorySegment ys, int r0, int r1) {
        dot.rows(s.values(), s.codes(), s.valueType() == DType.BF16, s.rows(), s.cols(), xs, n, ys, r0, r1);
    }

    /** Y = S X on raw, already checked segments with the outer-product kernel (the many-token scheme). */
    void outerProduct(Sparse24 s, MemorySegment xs, int n, MemorySegment ys) {
        outers(s, xs, n, ys);
    }

    /** xt[kk * tb + j] = X[t0 + j][k0 + kk] for j < tokens; the padding tokens are zero. */
    private static void transpose(MemorySegment x, int k, int t0, int tokens, int k0, int kt, float[] xt, int tb) {
        for (int j = 0; j < tb; j++) {
            if (j < tokens) {
                long base = ((long) (t0 + j) * k + k0) * 4;
                for (int kk = 0; kk < kt; kk++) {
                    xt[kk * tb + j] = x.get(java.lang.foreign.ValueLayout.JAVA_FLOAT, base + 4L * kk);
                }
            } else {
                for (int kk = 0; kk < kt; kk++) {
                    xt[kk * tb + j] = 0f;
                }
            }
        }
    }
}
