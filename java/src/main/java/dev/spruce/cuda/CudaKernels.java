package dev.spruce.cuda;

import dev.spruce.tensor.DType;

/**
 * Checked launchers for Spruce's own CUDA kernels on device-resident matrices. Every argument is validated
 * here (shapes, dtypes, closed state, aliasing) before the native launch; launches go to the default stream
 * and are asynchronous: synchronise (or download) before reading results.
 */
public final class CudaKernels {
    private CudaKernels() {
    }

    /** The native type code of a dtype ({@code SPRUCE_F32/BF16/F16}). */
    public static int code(DType d) {
        return switch (d) {
            case F32 -> CudaNative.F32;
            case BF16 -> CudaNative.BF16;
            case F16 -> CudaNative.F16;
        };
    }

    /**
     * Checks Y (N x M) = X (N x K) W<sup>T</sup> for device matrices: W is M x K of any dtype, X and Y as
     * required by {@code xType}/{@code yType} (null = any), Y distinct from X and W.
     */
    public static void checkGemm(DeviceMatrix w, DeviceMatrix x, DeviceMatrix y, DType xType, DType yType) {
        notNull(w, "weights W");
        notNull(x, "input X");
        notNull(y, "output Y");
        w.requireOpen();
        x.requireOpen();
        y.requireOpen();
        if (xType != null && x.dtype() != xType) {
            throw new IllegalArgumentException("input X must be " + xType + ", got " + x.dtype());
        }
        if (yType != null && y.dtype() != yType) {
            throw new IllegalArgumentException("output Y must be " + yType + ", got " + y.dtype());
        }
        if (x.cols() != w.cols()) {
            throw new IllegalArgumentException("input X has " + x.cols() + " columns but the weights take K=" + w.cols()
                    + " (X must be tokens x " + w.cols() + ")");
        }
        if (y.cols() != w.rows()) {
            throw new IllegalArgumentException("output Y has " + y.cols() + " columns but the weights give M=" + w.rows()
                    + " (Y must be tokens x " + w.rows() + ")");
        }
        if (y.rows() != x.rows()) {
            throw new IllegalArgumentException("batch mismatch: X has " + x.rows() + " tokens, Y has " + y.rows());
        }
        if (y == x || y == w) {
            throw new IllegalArgumentException("output Y must not alias an input");
        }
    }

    private static void notNull(Object o, String what) {
        if (o == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
    }

    /** Spruce's tiled dense kernel: Y (f32) = X (f32) W<sup>T</sup>, W f32/bf16/f16, f32 accumulation. */
    public static void denseGemm(DeviceMatrix w, DeviceMatrix x, DeviceMatrix y) {
        checkGemm(w, x, y, DType.F32, DType.F32);
        if (x.rows() > 65535 * 64) {
            throw new IllegalArgumentException("dense GEMM supports at most " + 65535 * 64 + " tokens, got " + x.rows());
        }
        Cuda.check(CudaNative.spruce_dense_gemm(code(w.dtype()), w.pointer(), x.pointer(), y.pointer(), x.rows(),
                w.rows(), w.cols(), null), "spruce_dense_gemm");
    }
}
