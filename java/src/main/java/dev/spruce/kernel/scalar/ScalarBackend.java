package dev.spruce.kernel.scalar;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.Parallel;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.layout.BlockDiagonal;
import dev.spruce.layout.BlockSparse;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference backend: plain Java loops, float32 accumulation in index order, every dtype.
 * Deliberately simple so it can be trusted; the other backends are tested against it.
 */
public class ScalarBackend implements Backend {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;

    private final int threads;

    public ScalarBackend() {
        this(Parallel.defaultThreadCount());
    }

    public ScalarBackend(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public String toString() {
        return "scalar reference, " + threads + " thread(s)";
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public boolean supports(Op op, DType weights) {
        return op == Op.GEMV || op == Op.GEMM || op == Op.SPMV24 || op == Op.SPMM24 || op == Op.ARMOR
                || op == Op.BLOCK_SPMM || op == Op.ATTENTION && weights == DType.F32;
    }

    @Override
    public void attention(float[] q, float[] k, float[] v, float[] ctx, int[] offsets, int heads, int headDim,
                          float scale) {
        Checks.attention(q, k, v, ctx, offsets, heads, headDim, scale);
        ScalarAttention.run(q, k, v, ctx, offsets, heads, headDim, scale, threads);
    }

    /** Reads element i of a weight segment as float, whatever its dtype. */
    protected static float load(MemorySegment seg, DType dtype, long i) {
        return switch (dtype) {
            case F32 -> seg.getAtIndex(F32, i);
            case BF16 -> Float.intBitsToFloat((seg.getAtIndex(U16, i) & 0xffff) << 16);
            case F16 -> Float.float16ToFloat(seg.getAtIndex(U16, i));
        };
    }

    @Override
    public void gemv(Matrix w, Matrix x, Matrix y) {
        Checks.gemv(w, x, y);
        gemm(w, x, y);
    }

    @Override
    public void gemm(Matrix w, Matrix x, Matrix y) {
        Checks.gemm(w, x, y);
        final int m = w.rows();
        final int k = w.cols();
        final int n = x.rows();
        final DType dt = w.dtype();
        final MemorySegment ws = w.segment();
        final MemorySegment xs = x.segment();
        final MemorySegment ys = y.segment();
        Parallel.forRange(m, threads, 16, (r0, r1) -> {
            for (int t = 0; t < n; t++) {
                long xb = (long) t * k;
                for (int r = r0; r < r1; r++) {
                    long wb = (long) r * k;
                    float acc = 0f;
                    for (int c = 0; c < k; c++) {
                        acc += load(ws, dt, wb + c) * xs.getAtIndex(F32, xb + c);
                    }
                    ys.setAtIndex(F32, (long) t * m + r, acc);
                }
            }
        });
    }

    @Override
    public void spmv24(Sparse24 s, Matrix x, Matrix y) {
        Checks.spmv24(s, x, y);
        spmm24(s, x, y);
    }

    /**
     * Reference 2:4 product: for each group, the two stored values times the activations at the positions its
     * code names, float32 accumulation in increasing k order (the same order as the dense reference).
     */
    @Override
    public void spmm24(Sparse24 s, Matrix x, Matrix y) {
        Checks.spmm24(s, x, y);
        final int m = s.rows();
        final int k = s.cols();
        final int n = x.rows();
        final int half = k / 2;
        final int wpr = Sparse24.wordsPerRow(k);
        final DType dt = s.valueType();
        final MemorySegment vs = s.values();
        final MemorySegment cs = s.codes();
        final MemorySegment xs = x.segment();
        final MemorySegment ys = y.segment();
        Parallel.forRange(m, threads, 16, (r0, r1) -> {
            for (int t = 0; t < n; t++) {
                long xb = (long) t * k;
                for (int r = r0; r < r1; r++) {
                    long vb = (long) r * half;
                    long cb = (long) r * wpr;
                    float acc = 0f;
                    for (int g = 0; g < k / 4; g++) {
                        int code = (cs.getAtIndex(U16, cb + g / 4) >>> (4 * (g % 4))) & 0xf;
                        long xg = xb + 4L * g;
                        acc += load(vs, dt, vb + 2L * g) * xs.getAtIndex(F32, xg + (code & 3));
                        acc += load(vs, dt, vb + 2L * g + 1) * xs.getAtIndex(F32, xg + (code >>> 2));
                    }
                    ys.setAtIndex(F32, (long) t * m + r, acc);
                }
            }
        });
    }

    // ---------------------------------------------------------------- ARMOR

    /**
     * Reference ARMOR product, three plain steps: U = B X, V = S U (the reference 2:4 product), Y = A V + bias;
     * float32 accumulation in index order inside each block.
     */
    @Override
    public void armor(ArmorLayout l, Matrix x, Matrix y) {
        Checks.armor(l, x, y);
        final int n = x.rows();
        try (Matrix u = Matrix.allocate(n, l.cols(), DType.F32); Matrix v = Matrix.allocate(n, l.rows(), DType.F32)) {
            blockDiagonal(l.b(), x.segment(), u.segment(), n, null);
            spmm24(l.core(), u, v);
            blockDiagonal(l.a(), v.segment(), y.segment(), n, l.bias());
        }
    }

    /** out[t, :] = D in[t, :] (+ bias) for every token t; D is n x n block-diagonal. */
    private void blockDiagonal(BlockDiagonal d, MemorySegment in, MemorySegment out, int tokens, float[] bias) {
        final int size = d.n();
        final int bs = d.blockSize();
        final MemorySegment ds = d.segment();
        Parallel.forRange(d.blocks(), threads, 1, (b0, b1) -> {
            for (int t = 0; t < tokens; t++) {
                long row = (long) t * size;
                for (int b = b0; b < b1; b++) {
                    int base = b * bs;
                    long blk = (long) b * bs * bs;
                    for (int r = 0; r < bs; r++) {
                        float acc = 0f;
                        for (int c = 0; c < bs; c++) {
                            acc += ds.getAtIndex(F32, blk + (long) r * bs + c) * in.getAtIndex(F32, row + base + c);
                        }
                        if (bias != null) {
                            acc += bias[base + r];
                        }
                        out.setAtIndex(F32, row + base + r, acc);
                    }
                }
            }
        });
    }

    /**
     * Reference block-sparse product, any block size and value type: for each output row, the kept blocks of its
     * block row in increasing column order, float32 accumulation in increasing k (the dense reference's order,
     * skipping the dropped blocks).
     */
    @Override
    public void blockSpmm(BlockSparse s, Matrix x, Matrix y) {
        Checks.blockSpmm(s, x, y);
        final int m = s.rows();
        final int k = s.cols();
        final int n = x.rows();
        final int bh = s.blockHeight();
        final int bw = s.blockWidth();
        final int[] rowPtr = s.rowPointers();
        final int[] cols = s.blockColumns();
        final DType dt = s.valueType();
        final MemorySegment vs = s.values();
        final MemorySegment xs = x.segment();
        final MemorySegment ys = y.segment();
        Parallel.forRange(m, threads, bh, (r0, r1) -> {
            for (int t = 0; t < n; t++) {
                long xb = (long) t * k;
                for (int r = r0; r < r1; r++) {
                    int i = r / bh;
                    long inBlock = (long) (r % bh) * bw;
                    float acc = 0f;
                    for (int p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
                        long vb = (long) p * bh * bw + inBlock;
                        long xc = xb + (long) cols[p] * bw;
                        for (int c = 0; c < bw; c++) {
                            acc += load(vs, dt, vb + c) * xs.getAtIndex(F32, xc + c);
                        }
                    }
                    ys.setAtIndex(F32, (long) t * m + r, acc);
                }
            }
        });
    }
}
