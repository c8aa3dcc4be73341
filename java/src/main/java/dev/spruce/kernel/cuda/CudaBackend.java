package dev.spruce.kernel.cuda;

import dev.spruce.cuda.ArmorKernels;
import dev.spruce.cuda.BlockKernels;
import dev.spruce.cuda.Cuda;
import dev.spruce.cuda.DeviceArmor;
import dev.spruce.cuda.DeviceBlockSparse;
import dev.spruce.cuda.CudaKernels;
import dev.spruce.cuda.DeviceMatrix;
import dev.spruce.cuda.DeviceSparse24;
import dev.spruce.cuda.Sp24Kernels;
import dev.spruce.layout.ArmorLayout;
import dev.spruce.layout.BlockSparse;
import dev.spruce.layout.Sparse24;
import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

/**
 * The CUDA backend. Host-to-host calls ({@link #gemv}, {@link #gemm}) upload the operands, run Spruce's
 * tiled kernel and download the result: correct everywhere, but they pay the PCIe copies on every call.
 * Hot paths and benchmarks use the device-resident entry points ({@link #upload}, {@link #gemm(DeviceMatrix,
 * DeviceMatrix, DeviceMatrix)}) so weights are uploaded once.
 *
 * <p>Constructing it needs no GPU; every operation validates its arguments first and only then requires
 * CUDA, so bad input is reported the same way on every machine.
 */
public final class CudaBackend implements Backend {

    /** Called reflectively by {@link Backends#cudaProbe()}; never throws. */
    public static Backends.Probe probe() {
        try {
            if (!Cuda.available()) {
                return new Backends.Probe(null, Cuda.unavailableReason());
            }
            return new Backends.Probe(new CudaBackend(), "CUDA: " + Cuda.device(0).summary());
        } catch (Throwable t) {
            return new Backends.Probe(null, "CUDA probe failed: " + t);
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public boolean supports(Op op, DType weights) {
        if (op == Op.SPMV24 || op == Op.SPMM24 || op == Op.ARMOR) {
            return weights == DType.BF16 || weights == DType.F16; // tensor cores: 2:4 only in 16-bit types
        }
        if (op == Op.BLOCK_SPMM) {
            return weights == DType.BF16; // bf16 mma.sync; blocks 16/32/64 each way (DeviceBlockSparse.check)
        }
        return (op == Op.GEMV || op == Op.GEMM) && weights != null;
    }

    @Override
    public void gemv(Matrix w, Matrix x, Matrix y) {
        Checks.gemv(w, x, y);
        run(w, x, y);
    }

    @Override
    public void gemm(Matrix w, Matrix x, Matrix y) {
        Checks.gemm(w, x, y);
        run(w, x, y);
    }

    private static void run(Matrix w, Matrix x, Matrix y) {
        Cuda.require();
        try (DeviceMatrix dw = DeviceMatrix.upload(w);
             DeviceMatrix dx = DeviceMatrix.upload(x);
             DeviceMatrix dy = DeviceMatrix.allocate(y.rows(), y.cols(), DType.F32)) {
            CudaKernels.denseGemm(dw, dx, dy);
            dy.download(y); // synchronous copy: also waits for the kernel and surfaces its errors
        }
    }

    @Override
    public void spmv24(Sparse24 s, Matrix x, Matrix y) {
        Checks.spmv24(s, x, y);
        runSparse(s, x, y, Op.SPMV24);
    }

    /**
     * 2:4 product on the {@code mma.sp} kernels. Host-to-host like {@link #gemm}: pads M and K to multiples of
     * 32 when needed, converts X to the weights' 16-bit type, and pays the uploads on every call; use
     * {@link #upload(Sparse24)} and {@link #spmm24(DeviceSparse24, DeviceMatrix, DeviceMatrix)} on hot paths.
     */
    @Override
    public void spmm24(Sparse24 s, Matrix x, Matrix y) {
        Checks.spmm24(s, x, y);
        runSparse(s, x, y, Op.SPMM24);
    }

    private void runSparse(Sparse24 s, Matrix x, Matrix y, Op op) {
        if (!supports(op, s.valueType())) {
            throw unsupported(op, s.valueType());
        }
        Cuda.require();
        int m = s.rows(), k = s.cols(), n = x.rows();
        int mp = roundUp32(m), kp = roundUp32(k);
        Sparse24 padded = (mp == m && kp == k) ? s : s.padTo(32, 32);
        try (DeviceSparse24 ds = DeviceSparse24.upload(padded);
             Matrix xh = activations(x, kp, s.valueType());
             DeviceMatrix dx = DeviceMatrix.upload(xh);
             DeviceMatrix dy = DeviceMatrix.allocate(n, mp, DType.F32)) {
            Sp24Kernels.spmm24(ds, dx, dy);
            if (mp == m) {
                dy.download(y); // synchronous copy: also waits for the kernel and surfaces its errors
            } else {
                try (Matrix yh = dy.toMatrix()) {
                    for (int r = 0; r < n; r++) {
                        for (int c = 0; c < m; c++) {
                            y.set(r, c, yh.get(r, c));
                        }
                    }
                }
            }
        } finally {
            if (padded != s) {
                padded.close();
            }
        }
    }

    private static int roundUp32(int v) {
        return Math.toIntExact(((long) v + 31) / 32 * 32);
    }

    /** X in the kernels' input type, zero-padded to {@code kp} columns. */
    private static Matrix activations(Matrix x, int kp, DType type) {
        if (kp == x.cols()) {
            return x.convert(type);
        }
        Matrix p = Matrix.allocate(x.rows(), kp, type);
        for (int r = 0; r < x.rows(); r++) {
            for (int c = 0; c < x.cols(); c++) {
                p.set(r, c, x.get(r, c));
            }
        }
        return p;
    }

    /** Uploads 2:4 weights (bf16/f16, M and K multiples of 32) once for the device-resident product. */
    public DeviceSparse24 upload(Sparse24 s) {
        return DeviceSparse24.upload(s);
    }

    /**
     * Device-resident Y (N x M; f32, bf16 or f16) = X (N x K, the weights' value type) S<sup>T</sup> on the
     * {@code mma.sp} kernels; asynchronous on the default stream.
     */
    public void spmm24(DeviceSparse24 s, DeviceMatrix x, DeviceMatrix y) {
        Sp24Kernels.spmm24(s, x, y);
    }

    /** Uploads a host matrix (weights or activations) once for the device-resident calls. */
    public DeviceMatrix upload(Matrix m) {
        Checks.notNull(m, "matrix");
        m.requireOpen();
        Cuda.require();
        return DeviceMatrix.upload(m);
    }

    /** Device-resident Y (N x M, F32) = X (N x K, F32) W<sup>T</sup>; asynchronous on the default stream. */
    public void gemm(DeviceMatrix w, DeviceMatrix x, DeviceMatrix y) {
        CudaKernels.checkGemm(w, x, y, DType.F32, DType.F32);
        Cuda.require();
        CudaKernels.denseGemm(w, x, y);
    }

    // ---------------------------------------------------------------- ARMOR

    /**
     * ARMOR Y = A (S (B X)) + bias: block-diagonal kernel, {@code mma.sp} 2:4 kernel, block-diagonal kernel with
     * the bias. Host-to-host (uploads every call); use {@link #upload(ArmorLayout)} and
     * {@link ArmorKernels#armor} on hot paths. Needs a bf16/f16 core with M and K multiples of 32.
     */
    @Override
    public void armor(ArmorLayout l, Matrix x, Matrix y) {
        Checks.armor(l, x, y);
        if (!supports(Op.ARMOR, l.core().valueType())) {
            throw unsupported(Op.ARMOR, l.core().valueType());
        }
        DeviceArmor.check(l);
        Cuda.require();
        try (DeviceArmor d = DeviceArmor.upload(l);
             DeviceMatrix dx = DeviceMatrix.upload(x);
             DeviceMatrix dy = DeviceMatrix.allocate(y.rows(), y.cols(), DType.F32)) {
            ArmorKernels.armor(d, dx, dy);
            dy.download(y); // synchronous copy: also waits for the kernels and surfaces their errors
        }
    }

    /** Uploads an ARMOR layout once for the device-resident product ({@link ArmorKernels#armor}). */
    public DeviceArmor upload(ArmorLayout l) {
        return DeviceArmor.upload(l);
    }

    /**
     * Block-sparse product on the {@code mma.sync} kernel. Host-to-host like {@link #gemm}: uploads S and X (as bf16)
     * on every call; use {@link #upload(BlockSparse)} and {@link #blockSpmm(DeviceBlockSparse, DeviceMatrix,
     * DeviceMatrix)} on hot paths. Needs bf16 values and 16/32/64 blocks (checked before any CUDA call).
     */
    @Override
    public void blockSpmm(BlockSparse s, Matrix x, Matrix y) {
        Checks.blockSpmm(s, x, y);
        if (!supports(Op.BLOCK_SPMM, s.valueType())) {
            throw unsupported(Op.BLOCK_SPMM, s.valueType());
        }
        DeviceBlockSparse.check(s);
        Cuda.require();
        try (DeviceBlockSparse ds = DeviceBlockSparse.upload(s);
             Matrix xh = x.convert(DType.BF16);
             DeviceMatrix dx = DeviceMatrix.upload(xh);
             DeviceMatrix dy = DeviceMatrix.allocate(x.rows(), s.rows(), DType.F32)) {
            BlockKernels.blockSpmm(ds, dx, dy);
            dy.download(y); // synchronous copy: also waits for the kernel and surfaces its errors
        }
    }

    /** Uploads block-sparse weights (bf16, 16/32/64 blocks) once for the device-resident product. */
    public DeviceBlockSparse upload(BlockSparse s) {
        return DeviceBlockSparse.upload(s);
    }

    /** Device-resident Y (N x M, F32) = X (N x K, BF16) S<sup>T</sup>; asynchronous on the default stream. */
    public void blockSpmm(DeviceBlockSparse s, DeviceMatrix x, DeviceMatrix y) {
        BlockKernels.blockSpmm(s, x, y);
    }

    @Override
    public String toString() {
        return "cuda, Spruce tiled dense kernel + mma.sp 2:4 kernels" + (Cuda.available() ? "" : " (unavailable: " + Cuda.unavailableReason() + ")");
    }
}
