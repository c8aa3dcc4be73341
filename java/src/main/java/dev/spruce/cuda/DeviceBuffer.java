package dev.spruce.cuda;

import dev.spruce.tensor.Matrix;
import org.bytedeco.javacpp.Pointer;

import java.lang.foreign.MemorySegment;

/**
 * A block of device memory from {@code cudaMalloc}, freed by {@link #close()} (cudaMalloc memory has no
 * JavaCPP deallocator, so it is never left to the GC). Every copy checks sizes, bounds and the
 * closed state in Java before the native call; host memory must be native (off-heap).
 */
public final class DeviceBuffer implements AutoCloseable {
    private final long bytes;
    private final Pointer pointer;
    private volatile boolean closed;

    private DeviceBuffer(Pointer pointer, long bytes) {
        this.pointer = pointer;
        this.bytes = bytes;
    }

    /** Allocates {@code bytes} (> 0) of uninitialised device memory. */
    public static DeviceBuffer allocate(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("device buffer size must be positive, got " + bytes + " bytes");
        }
        Cuda.require();
        Pointer p = new Pointer();
        Cuda.check(CudaNative.spruce_malloc(p, bytes), "cudaMalloc");
        if (p.address() == 0) {
            throw new CudaException("cudaMalloc", CudaNative.E_INVALID_ARGUMENT, "returned a null pointer");
        }
        return new DeviceBuffer(Pointers.at(p.address(), bytes), bytes);
    }

    /** A device buffer holding a copy of {@code m}'s elements (same dtype, same byte layout). */
    public static DeviceBuffer of(Matrix m) {
        if (m == null) {
            throw new IllegalArgumentException("matrix must not be null");
        }
        m.requireOpen();
        DeviceBuffer b = allocate(m.byteSize());
        try {
            b.copyFrom(m);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    public long byteSize() {
        return bytes;
    }

    public boolean isClosed() {
        return closed;
    }

    /** The device pointer (for native calls). */
    public Pointer pointer() {
        requireOpen();
        return pointer;
    }

    /** The device address. */
    public long address() {
        requireOpen();
        return pointer.address();
    }

    public void requireOpen() {
        if (closed) {
            throw new IllegalStateException("device buffer of " + bytes + " bytes is closed");
        }
    }

    private void range(long offset, long length, String what) {
        requireOpen();
        if (offset < 0 || length < 0 || offset > bytes || length > bytes - offset) {
            throw new IllegalArgumentException(what + ": " + length + " bytes at offset " + offset
                    + " do not fit in a device buffer of " + bytes + " bytes");
        }
    }

    private static void nativeSegment(MemorySegment s, String what) {
        if (s == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        if (!s.isNative()) {
            throw new IllegalArgumentException(what + " must be a native (off-heap) segment, got a heap segment");
        }
    }

    /** Copies all of {@code src} to this buffer at {@code offset}. */
    public void copyFrom(MemorySegment src, long offset) {
        nativeSegment(src, "source segment");
        range(offset, src.byteSize(), "copy to device");
        if (src.byteSize() == 0) {
            return;
        }
        Cuda.check(CudaNative.spruce_memcpy(Pointers.at(address() + offset, src.byteSize()), Pointers.of(src),
                src.byteSize(), CudaNative.HOST_TO_DEVICE), "cudaMemcpy(host->device)");
    }

    /** Copies {@code dst.byteSize()} bytes from this buffer at {@code offset} into {@code dst}. */
    public void copyTo(MemorySegment dst, long offset) {
        nativeSegment(dst, "destination segment");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("destination segment is read-only");
        }
        range(offset, dst.byteSize(), "copy from device");
        if (dst.byteSize() == 0) {
            return;
        }
        Cuda.check(CudaNative.spruce_memcpy(Pointers.of(dst), Pointers.at(address() + offset, dst.byteSize()),
                dst.byteSize(), CudaNative.DEVICE_TO_HOST), "cudaMemcpy(device->host)");
    }

    public void copyFrom(MemorySegment src) {
        copyFrom(src, 0);
    }

    public void copyTo(MemorySegment dst) {
        copyTo(dst, 0);
    }

    /** Copies the elements of {@code m}; the buffer must be exactly {@code m.byteSize()} bytes. */
    public void copyFrom(Matrix m) {
        exact(m, "copy from");
        copyFrom(m.segment().asSlice(0, m.byteSize()), 0);
    }

    /** Copies this buffer into {@code m}; the buffer must be exactly {@code m.byteSize()} bytes. */
    public void copyTo(Matrix m) {
        exact(m, "copy to");
        copyTo(m.segment().asSlice(0, m.byteSize()), 0);
    }

    private void exact(Matrix m, String what) {
        if (m == null) {
            throw new IllegalArgumentException("matrix must not be null");
        }
        m.requireOpen();
        requireOpen();
        if (m.byteSize() != bytes) {
            throw new IllegalArgumentException(what + " matrix " + m.shapeString() + " " + m.dtype() + ": it has "
                    + m.byteSize() + " bytes, the device buffer " + bytes);
        }
    }

    /** Device-to-device copy of all of {@code src} (same size). */
    public void copyFrom(DeviceBuffer src) {
        if (src == null) {
            throw new IllegalArgumentException("source buffer must not be null");
        }
        src.requireOpen();
        requireOpen();
        if (src.bytes != bytes) {
            throw new IllegalArgumentException("device copy size mismatch: source " + src.bytes + " bytes, destination "
                    + bytes);
        }
        Cuda.check(CudaNative.spruce_memcpy(pointer(), src.pointer(), bytes, CudaNative.DEVICE_TO_DEVICE),
                "cudaMemcpy(device->device)");
    }

    /** Sets every byte to {@code value} (0..255) on the default stream. 0xFF makes every f32/bf16/f16 a NaN. */
    public void fillBytes(int value) {
        if (value < 0 || value > 255) {
            throw new IllegalArgumentException("byte value must be 0..255, got " + value);
        }
        requireOpen();
        Cuda.check(CudaNative.spruce_memset(pointer(), value, bytes, null), "cudaMemsetAsync");
    }

    /** Frees the device memory. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            synchronized (this) {
                if (!closed) {
                    closed = true;
                    Cuda.check(CudaNative.spruce_free(pointer), "cudaFree");
                }
            }
        }
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + bytes + " bytes" + (closed ? ", closed]" : "]");
    }
}
