package dev.spruce.model.onnx;

import dev.spruce.model.ModelFormatException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One ONNX TensorProto: name, shape, element type and its little-endian element bytes. Values are
 * decoded on request ({@link #floats()}, {@link #longs()}) so large initializers are copied once, into
 * the array the caller keeps.
 */
public final class OnnxTensor {
    /** ONNX TensorProto.DataType codes this reader decodes. */
    public static final int FLOAT = 1;
    public static final int INT32 = 6;
    public static final int INT64 = 7;
    public static final int DOUBLE = 11;

    private final String name;
    private final long[] dims;
    private final int dataType;
    private final ByteBuffer data;

    OnnxTensor(String name, long[] dims, int dataType, ByteBuffer data) {
        this.name = name;
        this.dims = dims;
        this.dataType = dataType;
        this.data = data.order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The element bytes (little-endian, read-only view). */
    ByteBuffer rawData() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    public String name() {
        return name;
    }

    /** The shape (a copy); empty for a scalar. */
    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public long dim(int i) {
        return dims[i];
    }

    public int dataType() {
        return dataType;
    }

    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    static int elementBytes(int dataType) {
        return switch (dataType) {
            case FLOAT, INT32 -> 4;
            case INT64, DOUBLE -> 8;
            case 2, 3, 9 -> 1;          // uint8, int8, bool
            case 4, 5, 10, 16 -> 2;     // uint16, int16, float16, bfloat16
            case 12 -> 4;               // uint32
            case 13 -> 8;               // uint64
            default -> -1;
        };
    }

    /** Checks that the element bytes match the shape; called once when the tensor is read. */
    void validate() throws ModelFormatException {
        for (long d : dims) {
            if (d < 0) {
                throw new ModelFormatException("tensor '" + name + "' has a negative dimension: " + Arrays.toString(dims));
            }
        }
        int eb = elementBytes(dataType);
        if (eb < 0) {
            return; // strings and unknown types: kept opaque, rejected if anyone asks for values
        }
        long expect = elementCount() * eb;
        if (data.remaining() != expect) {
            throw new ModelFormatException("tensor '" + name + "' of shape " + Arrays.toString(dims) + " needs "
                    + expect + " bytes of data but holds " + data.remaining());
        }
    }

    /** The values as float32 (FLOAT or DOUBLE tensors). */
    public float[] floats() throws ModelFormatException {
        int n = Math.toIntExact(elementCount());
        float[] out = new float[n];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (dataType == FLOAT) {
            b.asFloatBuffer().get(out);
        } else if (dataType == DOUBLE) {
            for (int i = 0; i < n; i++) {
                out[i] = (float) b.getDouble(i * 8);
            }
        } else {
            throw wrongType("floating-point");
        }
        return out;
    }

    /** The values as int64 (INT64 or INT32 tensors). */
    public long[] longs() throws ModelFormatException {
        int n = Math.toIntExact(elementCount());
        long[] out = new long[n];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (dataType == INT64) {
            b.asLongBuffer().get(out);
        } else if (dataType == INT32) {
            for (int i = 0; i < n; i++) {
                out[i] = b.getInt(i * 4);
            }
        } else {
            throw wrongType("integer");
        }
        return out;
    }

    /** The single value of a one-element numeric tensor as a double. */
    public double scalar() throws ModelFormatException {
        if (elementCount() != 1) {
            throw new ModelFormatException("tensor '" + name + "' of shape " + Arrays.toString(dims) + " is not a scalar");
        }
        return dataType == FLOAT || dataType == DOUBLE ? floats()[0] : longs()[0];
    }

    private ModelFormatException wrongType(String wanted) {
        return new ModelFormatException("tensor '" + name + "' has ONNX data type " + dataType + ", expected "
                + wanted + " values");
    }

    @Override
    public String toString() {
        return name + Arrays.toString(dims) + ":" + dataType;
    }
}
