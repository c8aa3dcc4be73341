package dev.spruce.cuda;

import dev.spruce.tensor.DType;

/**
 * Checked launchers of ARMOR on the GPU: Y = A (S (B X)) + bias as three launches on the default stream,
 * block-diagonal B (f32 blocks, X in any dtype, U written in the core's 16-bit type, which the {@code mma.sp}
 * kernels take) -> 2:4 core ({@link Sp24Kernels}, f32 out) -> block-diagonal A with the bias (f32 in, Y in its
 * dtype). Every argument is validated here before a native call; launches are asynchronous.
 */
public final class ArmorKernels {
    private ArmorKernels() {
    }

    /** Validates Y (N x M) = ARMOR(X (N x K)) with intermediates U (N x K, core type) and V (N x M, f32). */
    public static void check(DeviceArmor l, DeviceMatrix x, DeviceMatrix y, DeviceMatrix u, DeviceMatrix v) {
        if (l == null) {
            throw new IllegalArgumentException("ARMOR weights must not be null");
        }
        for (Object[] p : new Object[][] {{x, "input X"}, {y, "output Y"}, {u, "scratch U"}, {v, "scratch V"}}) {
            if (p[0] == null) {
                throw new IllegalArgumentException(p[1] + " must not be null");
            }
            ((DeviceMatrix) p[0]).requireOpen();
        }
        l.requireOpen();
        int m = l.rows(), k = l.cols(), n = x.rows();
        if (x.cols() != k) {
            throw new IllegalArgumentException("input X has " + x.cols() + " columns but the weights take K=" + k
                    + " (X must be tokens x " + k + ")");
        }
        if (y.cols() != m) {
            throw new IllegalArgumentException("output Y has " + y.cols() + " columns but the weights give M=" + m
                    + " (Y must be tokens x " + m + ")");
        }
        if (y.rows() != n) {
            throw new IllegalArgumentException("batch mismatch: X has " + n + " tokens, Y has " + y.rows());
        }
        if (u.rows() != n || u.cols() != k || u.dtype() != l.valueType()) {
            throw new IllegalArgumentException("scratch U must be " + n + "x" + k + " " + l.valueType() + ", got "
                    + u.shapeString() + " " + u.dtype());
        }
        if (v.rows() != n || v.cols() != m || v.dtype() != DType.F32) {
            throw new IllegalArgumentException("scratch V must be " + n + "x" + m + " F32, got " + v.shapeString()
                    + " " + v.dtype());
        }
        if (n > 65535 * 64) {
            throw new IllegalArgumentException("ARMOR on CUDA supports at most " + 65535 * 64 + " tokens, got " + n);
        }
        java.util.Set<DeviceMatrix> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        if (!distinct.add(x) | !distinct.add(y) | !distinct.add(u) | !distinct.add(v)) {
            throw new IllegalArgumentException("X, Y and the scratch matrices U, V must be four different matrices");
        }
    }

    /** Y = A (S (B X)) + bias with caller-owned scratch (no allocation per call). */
    public static void armor(DeviceArmor l, DeviceMatrix x, DeviceMatrix y, DeviceMatrix u, DeviceMatrix v) {
        check(l, x, y, u, v);
        Cuda.require();
        blockDiagonal(l.b(), l.cols(), l.blockB(), x, u, null);
        Sp24Kernels.spmm24(l.core(), u, v);
        blockDiagonal(l.a(), l.rows(), l.blockA(), v, y, l.bias());
    }

    /** Y = A (S (B X)) + bias, allocating the intermediates (freed before returning). */
    public static void armor(DeviceArmor l, DeviceMatrix x, DeviceMatrix y) {
        if (l == null || x == null) {
            throw new IllegalArgumentException((l == null ? "ARMOR weights" : "input X") + " must not be null");
        }
        l.requireOpen();
        x.requireOpen();
        try (DeviceMatrix u = DeviceMatrix.allocate(x.rows(), l.cols(), l.valueType());
             DeviceMatrix v = DeviceMatrix.allocate(x.rows(), l.rows(), DType.F32)) {
            armor(l, x, y, u, v);
        }
    }

    /** out (tokens x size) = D in (+ bias) for a block-diagonal D of {@code size/bs} blocks in {@code blocks}. */
    static void blockDiagonal(DeviceBuffer blocks, int size, int bs, DeviceMatrix in, DeviceMatrix out,
                              DeviceBuffer bias) {
        int status = ArmorNative.spruce_armor_blockdiag(blocks.pointer(), in.pointer(), out.pointer(),
                bias == null ? null : bias.pointer(), size, bs, in.rows(), CudaKernels.code(in.dtype()),
                CudaKernels.code(out.dtype()), null);
        if (status != 0) {
            throw new CudaException("spruce_armor_blockdiag", status, ArmorNative.spruce_armor_status_string(status));
        }
    }
}
