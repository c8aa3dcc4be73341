package dev.spruce.cuda;

import dev.spruce.layout.Sparse24;
import dev.spruce.layout.Sparse24GpuOrder;
import dev.spruce.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A {@link Sparse24} layout resident on the device in the form the {@code mma.sp} kernels read: the values
 * (M x K/2, bf16 or f16, row-major, unchanged) and the metadata in {@link Sparse24GpuOrder}. Upload once,
 * multiply many times; {@link #close()} frees both buffers.
 */
public final class DeviceSparse24 implements AutoCloseable {
    private final int rows;
    private final int cols;
    private final DType valueType;
    private final DeviceBuffer values;
    private final DeviceBuffer meta;

    private DeviceSparse24(int rows, int cols, DType valueType, DeviceBuffer values, DeviceBuffer meta) {
        this.rows = rows;
        this.cols = cols;
        this.valueType = valueType;
        this.values = values;
        this.meta = meta;
    }

    /**
     * Uploads {@code s}. Tensor cores take 2:4 only in 16-bit types, so the values must be bf16 or f16, and the
     * GPU order needs M and K to be multiples of 32 ({@link Sparse24#padTo}{@code (32, 32)} first otherwise).
     */
    public static DeviceSparse24 upload(Sparse24 s) {
        if (s == null) {
            throw new IllegalArgumentException("sparse weights must not be null");
        }
        s.requireOpen();
        check(s.rows(), s.cols(), s.valueType());
        Cuda.require();
        int[] words = Sparse24GpuOrder.encode(s);
        DeviceBuffer v = DeviceBuffer.allocate(s.values().byteSize());
        DeviceBuffer m = null;
        try {
            v.copyFrom(s.values());
            m = DeviceBuffer.allocate(4L * words.length);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment host = arena.allocate(4L * words.length, 64);
                MemorySegment.copy(words, 0, host, java.lang.foreign.ValueLayout.JAVA_INT, 0, words.length);
                m.copyFrom(host);
            }
            return new DeviceSparse24(s.rows(), s.cols(), s.valueType(), v, m);
        } catch (RuntimeException e) {
            v.close();
            if (m != null) {
                m.close();
            }
            throw e;
        }
    }

    /** The shape and type rules of the GPU path, checked without touching CUDA. */
    static void check(int rows, int cols, DType valueType) {
        if (valueType != DType.BF16 && valueType != DType.F16) {
            throw new IllegalArgumentException("the CUDA 2:4 kernels need bf16 or f16 values (tensor cores have no "
                    + "f32 2:4 mode), got " + valueType + "; pack with Sparse24.pack(dense, DType.BF16)");
        }
        if (rows % Sparse24GpuOrder.TILE != 0 || cols % Sparse24GpuOrder.TILE != 0) {
            throw new IllegalArgumentException("the CUDA 2:4 kernels need M and K to be multiples of 32, got "
                    + rows + "x" + cols + "; use Sparse24.padTo(32, 32) (and pad the activations) first");
        }
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public DType valueType() {
        return valueType;
    }

    public DeviceBuffer values() {
        return values;
    }

    public DeviceBuffer meta() {
        return meta;
    }

    public String shapeString() {
        return rows + "x" + cols + " " + valueType + " 2:4";
    }

    public void requireOpen() {
        values.requireOpen();
        meta.requireOpen();
    }

    public boolean isClosed() {
        return values.isClosed() || meta.isClosed();
    }

    @Override
    public void close() {
        values.close();
        meta.close();
    }

    @Override
    public String toString() {
        return "DeviceSparse24[" + shapeString() + (isClosed() ? ", closed]" : "]");
    }
}
