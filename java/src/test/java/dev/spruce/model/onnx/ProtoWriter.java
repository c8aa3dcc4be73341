package dev.spruce.model.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Test helper: writes protobuf wire format, to build small ONNX files by hand. */
final class ProtoWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    ProtoWriter varint(int field, long v) {
        tag(field, 0);
        raw(v);
        return this;
    }

    ProtoWriter bytes(int field, byte[] b) {
        tag(field, 2);
        raw(b.length);
        out.writeBytes(b);
        return this;
    }

    ProtoWriter string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    ProtoWriter message(int field, ProtoWriter m) {
        return bytes(field, m.toBytes());
    }

    ProtoWriter floats(int field, float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return bytes(field, b.array());
    }

    private void tag(int field, int wire) {
        raw((long) field << 3 | wire);
    }

    private void raw(long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    byte[] toBytes() {
        return out.toByteArray();
    }

    /** A TensorProto of floats, [rows, cols], as raw_data or packed float_data. */
    static ProtoWriter tensor(String name, int rows, int cols, boolean raw) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * 0.5f - 1;
        }
        ProtoWriter t = new ProtoWriter().varint(1, rows).varint(1, cols).varint(2, 1).string(8, name);
        if (raw) {
            ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) {
                b.putFloat(f);
            }
            t.bytes(9, b.array());
        } else {
            t.floats(4, v);
        }
        return t;
    }

    /** ModelProto { ir_version 8, opset 11, graph { MatMul node, initializers } }. */
    static byte[] model(ProtoWriter... initializers) {
        ProtoWriter node = new ProtoWriter().string(1, "x").string(1, "w").string(2, "y")
                .string(3, "/foo/MatMul").string(4, "MatMul");
        ProtoWriter graph = new ProtoWriter().message(1, node).string(2, "g");
        for (ProtoWriter t : initializers) {
            graph.message(5, t);
        }
        graph.message(11, new ProtoWriter().string(1, "x")).message(12, new ProtoWriter().string(1, "y"));
        return new ProtoWriter().varint(1, 8).message(8, new ProtoWriter().string(1, "").varint(2, 11))
                .message(7, graph).toBytes();
    }
}
