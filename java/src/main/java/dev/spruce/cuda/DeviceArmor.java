package dev.spruce.cuda;

import dev.spruce.layout.ArmorLayout;
import dev.spruce.layout.BlockDiagonal;
import dev.spruce.tensor.DType;

/**
 * An {@link ArmorLayout} resident on the device: both wrappers' blocks (f32, the host layout unchanged), the 2:4
 * core as a {@link DeviceSparse24} (bf16/f16 values, GPU-order metadata) and the bias (f32) if any. Upload once,
 * multiply many times with {@link ArmorKernels#armor}; {@link #close()} frees everything.
 */
public final class DeviceArmor implements AutoCloseable {
    private final int rows;
    private final int cols;
    private final int blockA;
    private final int blockB;
    private final DeviceBuffer a;
    private final DeviceSparse24 core;
    private final DeviceBuffer b;
    private final DeviceBuffer bias;

    private DeviceArmor(ArmorLayout l, DeviceBuffer a, DeviceSparse24 core, DeviceBuffer b, DeviceBuffer bias) {
        this.rows = l.rows();
        this.cols = l.cols();
        this.blockA = l.a().blockSize();
        this.blockB = l.b().blockSize();
        this.a = a;
        this.core = core;
        this.b = b;
        this.bias = bias;
    }

    /** The GPU path's rules for a layout, checked without touching CUDA. */
    public static void check(ArmorLayout l) {
        if (l == null) {
            throw new IllegalArgumentException("ARMOR layout must not be null");
        }
        l.requireOpen();
        DeviceSparse24.check(l.rows(), l.cols(), l.core().valueType());
    }

    /** Uploads {@code l}: its core must be bf16 or f16 and M, K multiples of 32 (the 2:4 kernels' rules). */
    public static DeviceArmor upload(ArmorLayout l) {
        check(l);
        Cuda.require();
        DeviceBuffer a = null;
        DeviceSparse24 core = null;
        DeviceBuffer b = null;
        DeviceBuffer bias = null;
        try {
            a = blocks(l.a());
            core = DeviceSparse24.upload(l.core());
            b = blocks(l.b());
            if (l.hasBias()) {
                bias = DeviceBuffer.allocate(4L * l.rows());
                bias.copyFrom(l.biasSegment());
            }
            return new DeviceArmor(l, a, core, b, bias);
        } catch (RuntimeException e) {
            for (AutoCloseable c : new AutoCloseable[] {a, core, b, bias}) {
                try {
                    if (c != null) {
                        c.close();
                    }
                } catch (Exception ignored) {
                    // report the original failure
                }
            }
            throw e;
        }
    }

    private static DeviceBuffer blocks(BlockDiagonal d) {
        DeviceBuffer buf = DeviceBuffer.allocate(d.byteSize());
        try {
            buf.copyFrom(d.segment());
            return buf;
        } catch (RuntimeException e) {
            buf.close();
            throw e;
        }
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int blockA() {
        return blockA;
    }

    public int blockB() {
        return blockB;
    }

    public DType valueType() {
        return core.valueType();
    }

    /** A's blocks (M x bsA f32). */
    public DeviceBuffer a() {
        return a;
    }

    public DeviceSparse24 core() {
        return core;
    }

    /** B's blocks (K x bsB f32). */
    public DeviceBuffer b() {
        return b;
    }

    /** The bias (M f32), or null. */
    public DeviceBuffer bias() {
        return bias;
    }

    public void requireOpen() {
        a.requireOpen();
        core.requireOpen();
        b.requireOpen();
        if (bias != null) {
            bias.requireOpen();
        }
    }

    public boolean isClosed() {
        return a.isClosed() || core.isClosed() || b.isClosed() || (bias != null && bias.isClosed());
    }

    public String shapeString() {
        return rows + "x" + cols + " " + core.valueType() + " ARMOR bs " + blockA + "/" + blockB;
    }

    @Override
    public void close() {
        a.close();
        core.close();
        b.close();
        if (bias != null) {
            bias.close();
        }
    }

    @Override
    public String toString() {
        return "DeviceArmor[" + shapeString() + (isClosed() ? ", closed]" : "]");
    }
}
