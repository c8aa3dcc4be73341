package dev.spruce.cuda;

import dev.spruce.tensor.DType;

/**
 * Checked launcher of the block-sparse GEMM: Y (N x M, f32) = X (N x K, bf16) S<sup>T</sup> for a
 * {@link DeviceBlockSparse} S, f32 accumulation. Arguments are validated here, before the native call; launches go
 * to the default stream and are asynchronous.
 */
public final class BlockKernels {
    private BlockKernels() {
    }

    /** Validates a block-sparse product on device matrices (no CUDA needed). */
    public static void check(DeviceBlockSparse s, DeviceMatrix x, DeviceMatrix y) {
        if (s == null) {
            throw new IllegalArgumentException("block-sparse weights must not be null");
        }
        if (x == null || y == null) {
            throw new IllegalArgumentException((x == null ? "input X" : "output Y") + " must not be null");
        }
        s.requireOpen();
        x.requireOpen();
        y.requireOpen();
        if (x.dtype() != DType.BF16) {
            throw new IllegalArgumentException("input X must be BF16 (the kernel's operand type), got " + x.dtype()
                    + " (convert it on the device with DeviceMatrix.convert)");
        }
        if (y.dtype() != DType.F32) {
            throw new IllegalArgumentException("output Y must be F32, got " + y.dtype());
        }
        if (x.cols() != s.cols()) {
            throw new IllegalArgumentException("input X has " + x.cols() + " columns but the weights take K="
                    + s.cols() + " (X must be tokens x " + s.cols() + ")");
        }
        if (y.cols() != s.rows()) {
            throw new IllegalArgumentException("output Y has " + y.cols() + " columns but the weights give M="
                    + s.rows() + " (Y must be tokens x " + s.rows() + ")");
        }
        if (y.rows() != x.rows()) {
            throw new IllegalArgumentException("batch mismatch: X has " + x.rows() + " tokens, Y has " + y.rows());
        }
    }

    /** Y = X S<sup>T</sup> with the automatic token tiling. */
    public static void blockSpmm(DeviceBlockSparse s, DeviceMatrix x, DeviceMatrix y) {
        blockSpmm(s, x, y, BlockNative.KERNEL_AUTO);
    }

    /** Y = X S<sup>T</sup> with a forced token tiling ({@code BlockNative.KERNEL_*}). */
    public static void blockSpmm(DeviceBlockSparse s, DeviceMatrix x, DeviceMatrix y, int kernel) {
        check(s, x, y);
        if (kernel < BlockNative.KERNEL_AUTO || kernel > BlockNative.KERNEL_LARGE) {
            throw new IllegalArgumentException("kernel must be 0..3, got " + kernel);
        }
        Cuda.require();
        int status = BlockNative.spruce_block_gemm_ex(s.values().pointer(), s.groupPtr().pointer(),
                s.entryCol().pointer(), s.entryBlock().pointer(), x.pointer(), y.pointer(), s.rows(), s.cols(),
                x.rows(), s.blockHeight(), s.blockWidth(), kernel, null);
        if (status != 0) {
            throw new CudaException("spruce_block_gemm", status, BlockNative.spruce_block_status_string(status));
        }
    }
}
