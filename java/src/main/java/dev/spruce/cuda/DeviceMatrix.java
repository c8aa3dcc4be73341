package dev.spruce.cuda;

import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.bytedeco.javacpp.Pointer;

/**
 * A row-major matrix resident in device memory: the GPU twin of {@link Matrix} (same shape rules, same
 * dtypes, same byte layout), so weights can be uploaded once and reused by many kernel launches.
 */
public final class DeviceMatrix implements AutoCloseable {
    private final int rows;
    private final int cols;
    private final DType dtype;
    private final DeviceBuffer buffer;

    private DeviceMatrix(int rows, int cols, DType dtype, DeviceBuffer buffer) {
        this.rows = rows;
        this.cols = cols;
        this.dtype = dtype;
        this.buffer = buffer;
    }

    static void checkShape(int rows, int cols, DType dtype) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("matrix shape must be positive, got " + rows + "x" + cols);
        }
        if (dtype == null) {
            throw new IllegalArgumentException("dtype must not be null");
        }
    }

    /** Uninitialised device matrix. */
    public static DeviceMatrix allocate(int rows, int cols, DType dtype) {
        checkShape(rows, cols, dtype);
        return new DeviceMatrix(rows, cols, dtype, DeviceBuffer.allocate((long) rows * cols * dtype.bytes()));
    }

    /** A device copy of {@code m}. */
    public static DeviceMatrix upload(Matrix m) {
        if (m == null) {
            throw new IllegalArgumentException("matrix must not be null");
        }
        m.requireOpen();
        return new DeviceMatrix(m.rows(), m.cols(), m.dtype(), DeviceBuffer.of(m));
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public DType dtype() {
        return dtype;
    }

    public long byteSize() {
        return buffer.byteSize();
    }

    public String shapeString() {
        return rows + "x" + cols;
    }

    public DeviceBuffer buffer() {
        return buffer;
    }

    public Pointer pointer() {
        return buffer.pointer();
    }

    public void requireOpen() {
        if (buffer.isClosed()) {
            throw new IllegalStateException("device matrix " + shapeString() + " " + dtype + " is closed");
        }
    }

    public boolean isClosed() {
        return buffer.isClosed();
    }

    /** Copies into a host matrix of the same shape and dtype. */
    public void download(Matrix m) {
        requireOpen();
        if (m == null) {
            throw new IllegalArgumentException("matrix must not be null");
        }
        m.requireOpen();
        if (m.rows() != rows || m.cols() != cols || m.dtype() != dtype) {
            throw new IllegalArgumentException("download target is " + m.shapeString() + " " + m.dtype()
                    + ", device matrix is " + shapeString() + " " + dtype);
        }
        buffer.copyTo(m);
    }

    /** A new host matrix with this matrix's contents. */
    public Matrix toMatrix() {
        requireOpen();
        Matrix m = Matrix.allocate(rows, cols, dtype);
        try {
            buffer.copyTo(m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /** Fills every element with NaN (all-ones bytes), so elements a kernel fails to write are caught. */
    public void poison() {
        requireOpen();
        buffer.fillBytes(0xFF);
    }

    /** Deterministic uniform values in [-scale, scale) from (seed, index), generated on the device. */
    public void fillUniform(long seed, float scale) {
        requireOpen();
        if (!(scale > 0) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException("scale must be positive and finite, got " + scale);
        }
        Cuda.check(CudaNative.spruce_fill_uniform(pointer(), CudaKernels.code(dtype), (long) rows * cols, seed, scale,
                null), "spruce_fill_uniform");
    }

    /** This matrix's elements converted (round to nearest even) into {@code target}, same shape. */
    public DeviceMatrix convert(DType target) {
        requireOpen();
        DeviceMatrix out = allocate(rows, cols, target);
        try {
            Cuda.check(CudaNative.spruce_convert(out.pointer(), CudaKernels.code(target), pointer(),
                    CudaKernels.code(dtype), (long) rows * cols, null), "spruce_convert");
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    @Override
    public void close() {
        buffer.close();
    }

    @Override
    public String toString() {
        return "DeviceMatrix[" + shapeString() + ", " + dtype + (isClosed() ? ", closed]" : "]");
    }
}
