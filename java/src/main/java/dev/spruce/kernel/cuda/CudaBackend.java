package dev.spruce.kernel.cuda;

import dev.spruce.cuda.Cuda;
import dev.spruce.cuda.CudaKernels;
import dev.spruce.cuda.DeviceMatrix;
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

    @Override
    public String toString() {
        return "cuda, Spruce tiled dense kernel" + (Cuda.available() ? "" : " (unavailable: " + Cuda.unavailableReason() + ")");
    }
}
