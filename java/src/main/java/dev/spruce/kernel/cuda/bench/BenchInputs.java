package dev.spruce.kernel.cuda.bench;

import dev.spruce.cuda.DeviceMatrix;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

/** The f32 activations (n x k) of one benchmark case, on the device and on the host. */
public final class BenchInputs implements AutoCloseable {
    private final DeviceMatrix device;
    private final Matrix host;

    public BenchInputs(int n, int k, long seed) {
        device = DeviceMatrix.allocate(n, k, DType.F32);
        device.fillUniform(seed, 1.0f);
        host = device.toMatrix();
    }

    public int tokens() {
        return device.rows();
    }

    public DeviceMatrix device() {
        return device;
    }

    public Matrix host() {
        return host;
    }

    @Override
    public void close() {
        device.close();
        host.close();
    }
}
