package dev.spruce.kernel;

import dev.spruce.layout.ArmorLayout;
import dev.spruce.layout.BlockSparse;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

/** Argument checks shared by every backend, so each one rejects bad input with the same message. */
public final class Checks {
    private Checks() {
    }

    public static void notNull(Object o, String what) {
        if (o == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
    }

    /** Open, non-null, float32 activation or output matrix. */
    public static void f32(Matrix m, String what) {
        notNull(m, what);
        m.requireOpen();
        if (m.dtype() != DType.F32) {
            throw new IllegalArgumentException(what + " must be F32, got " + m.dtype());
        }
    }

    /** A bias for M outputs: null, or M finite-or-not floats (values are the model's business). */
    public static void bias(float[] bias, int m) {
        if (bias != null && bias.length != m) {
            throw new IllegalArgumentException("bias has " + bias.length + " values but the weights give M=" + m);
        }
    }

    /** Checks y (1 x M) = W (M x K) x (1 x K). */
    public static void gemv(Matrix w, Matrix x, Matrix y) {
        notNull(w, "weights");
        w.requireOpen();
        f32(x, "input x");
        f32(y, "output y");
        if (x.rows() != 1 || x.cols() != w.cols()) {
            throw new IllegalArgumentException("gemv: x must be 1x" + w.cols() + " for weights "
                    + w.shapeString() + ", got " + x.shapeString());
        }
        if (y.rows() != 1 || y.cols() != w.rows()) {
            throw new IllegalArgumentException("gemv: y must be 1x" + w.rows() + " for weights "
                    + w.shapeString() + ", got " + y.shapeString());
        }
        distinct(x, y);
    }

    /** Checks Y (N x M) = rows of X (N x K) times W (M x K) transposed. */
    public static void gemm(Matrix w, Matrix x, Matrix y) {
        notNull(w, "weights");
        w.requireOpen();
        f32(x, "input X");
        f32(y, "output Y");
        batch(w.rows(), w.cols(), x, y);
    }

    /** Shape check for any M x K operator applied to a token batch X (N x K) giving Y (N x M). */
    public static void batch(int m, int k, Matrix x, Matrix y) {
        if (x.cols() != k) {
            throw new IllegalArgumentException("input X has " + x.cols() + " columns but the weights take K=" + k
                    + " (X must be tokens x " + k + ")");
        }
        if (y.cols() != m) {
            throw new IllegalArgumentException("output Y has " + y.cols() + " columns but the weights give M=" + m
                    + " (Y must be tokens x " + m + ")");
        }
        if (y.rows() != x.rows()) {
            throw new IllegalArgumentException("batch mismatch: X has " + x.rows() + " tokens, Y has " + y.rows());
        }
        distinct(x, y);
    }

    /** Checks y (1 x M) = S (M x K) x (1 x K) for a 2:4 layout. */
    public static void spmv24(Sparse24 s, Matrix x, Matrix y) {
        notNull(s, "sparse weights");
        s.requireOpen();
        f32(x, "input x");
        f32(y, "output y");
        if (x.rows() != 1 || x.cols() != s.cols()) {
            throw new IllegalArgumentException("spmv24: x must be 1x" + s.cols() + " for weights "
                    + s.shapeString() + ", got " + x.shapeString());
        }
        if (y.rows() != 1 || y.cols() != s.rows()) {
            throw new IllegalArgumentException("spmv24: y must be 1x" + s.rows() + " for weights "
                    + s.shapeString() + ", got " + y.shapeString());
        }
        distinct(x, y);
    }

    /** Checks Y (N x M) = rows of X (N x K) times S (M x K, 2:4) transposed. */
    public static void spmm24(Sparse24 s, Matrix x, Matrix y) {
        notNull(s, "sparse weights");
        s.requireOpen();
        f32(x, "input X");
        f32(y, "output Y");
        batch(s.rows(), s.cols(), x, y);
    }

    /** Checks Y (N x M) = rows of X (N x K) times (A S B) transposed, plus bias, for an ARMOR layout. */
    public static void armor(ArmorLayout l, Matrix x, Matrix y) {
        notNull(l, "ARMOR layout");
        l.requireOpen();
        f32(x, "input X");
        f32(y, "output Y");
        batch(l.rows(), l.cols(), x, y);
    }

    /** Checks Y (N x M) = rows of X (N x K) times S (M x K, block-sparse) transposed. */
    public static void blockSpmm(BlockSparse s, Matrix x, Matrix y) {
        notNull(s, "block-sparse weights");
        s.requireOpen();
        f32(x, "input X");
        f32(y, "output Y");
        batch(s.rows(), s.cols(), x, y);
    }

    static void distinct(Matrix x, Matrix y) {
        if (x == y) {
            throw new IllegalArgumentException("input and output must be different matrices");
        }
        if (x.segment().asOverlappingSlice(y.segment()).isPresent()) {
            throw new IllegalArgumentException("input and output overlap in memory (views of one matrix?)");
        }
    }

    /** Arguments of {@link Backend#attention}: array sizes, sentence offsets, a positive finite scale. */
    public static void attention(float[] q, float[] k, float[] v, float[] ctx, int[] offsets, int heads,
                                 int headDim, float scale) {
        notNull(q, "q");
        notNull(k, "k");
        notNull(v, "v");
        notNull(ctx, "ctx");
        notNull(offsets, "offsets");
        if (heads < 1 || headDim < 1) {
            throw new IllegalArgumentException("attention needs heads >= 1 and headDim >= 1, got " + heads
                    + " heads of " + headDim);
        }
        if (!(scale > 0f) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException("attention scale must be positive and finite, got " + scale);
        }
        if (offsets.length < 1 || offsets[0] != 0) {
            throw new IllegalArgumentException("sentence offsets must start with 0");
        }
        for (int b = 1; b < offsets.length; b++) {
            if (offsets[b] < offsets[b - 1]) {
                throw new IllegalArgumentException("sentence offsets must not decrease: offsets[" + b + "] = "
                        + offsets[b] + " < " + offsets[b - 1]);
            }
        }
        long width = (long) heads * headDim;
        long need = offsets[offsets.length - 1] * width;
        if (q.length != need || k.length != need || v.length != need || ctx.length != need) {
            throw new IllegalArgumentException("attention arrays must hold " + offsets[offsets.length - 1]
                    + " tokens x " + width + " = " + need + " floats; got q " + q.length + ", k " + k.length
                    + ", v " + v.length + ", ctx " + ctx.length);
        }
        if (ctx == q || ctx == k || ctx == v) {
            throw new IllegalArgumentException("attention output must not alias q, k or v");
        }
    }
}
