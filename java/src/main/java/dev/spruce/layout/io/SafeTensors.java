package dev.spruce.layout.io;

import dev.spruce.tensor.Matrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated safetensors file in memory (see {@link SafeTensorsReader}): named tensors in header order plus the
 * {@code __metadata__} string map. The tensor data lives in one arena that {@link #close()} frees; the
 * {@link Tensor#data()} segments are read-only slices and must not be used after closing.
 */
public final class SafeTensors implements AutoCloseable {
    /**
     * One tensor: dtype, shape (row-major, outermost first) and its bytes (little-endian). The bytes sit wherever
     * the file put them, so read them with the {@code *_UNALIGNED} value layouts (or copy them).
     */
    public record Tensor(String name, TensorDType dtype, long[] shape, MemorySegment data) {
        public Tensor {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Number of elements (1 for a scalar of shape []). */
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        /** Throws naming the tensor unless its shape equals {@code expected}. */
        public void requireShape(long... expected) {
            if (!Arrays.equals(shape, expected)) {
                throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(shape)
                        + ", expected " + Arrays.toString(expected));
            }
        }

        /** A new Matrix copy of a 2-D (or 1-D, as one row) F32/BF16/F16 tensor. */
        public Matrix toMatrix() {
            if (shape.length == 0 || shape.length > 2) {
                throw new IllegalArgumentException("tensor '" + name + "' has rank " + shape.length
                        + "; only 1-D and 2-D tensors become a Matrix");
            }
            int rows = shape.length == 2 ? Math.toIntExact(shape[0]) : 1;
            int cols = Math.toIntExact(shape[shape.length - 1]);
            Matrix m = Matrix.allocate(rows, cols, dtype.toMatrixDType());
            MemorySegment.copy(data, 0, m.segment(), 0, data.byteSize());
            return m;
        }

        @Override
        public String toString() {
            return name + ": " + dtype + Arrays.toString(shape);
        }
    }

    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private final Arena arena;

    SafeTensors(Map<String, Tensor> tensors, Map<String, String> metadata, Arena arena) {
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.arena = arena;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor called {@code name}; throws naming the available tensors if there is none. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' (have " + tensors.keySet() + ")");
        }
        return t;
    }

    /** The {@code __metadata__} map (empty if the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
