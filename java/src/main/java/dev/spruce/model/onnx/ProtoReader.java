package dev.spruce.model.onnx;

import dev.spruce.model.ModelFormatException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A strict reader of the protobuf wire format over one message's bytes. ONNX needs only five wire
 * types' worth of decoding, so a hand-written reader (about a hundred lines) replaces the protobuf
 * runtime plus generated classes; every read is bounds-checked so a truncated or corrupt file ends in a
 * {@link ModelFormatException} that says where, never in an out-of-bounds error or a huge allocation.
 */
final class ProtoReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private final ByteBuffer buf;   // position = next byte, limit = end of this message
    private final String what;      // message being read, for error messages

    ProtoReader(ByteBuffer buf, String what) {
        this.buf = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.what = what;
    }

    boolean hasMore() {
        return buf.hasRemaining();
    }

    /** Absolute offset inside this message, for error messages. */
    int position() {
        return buf.position();
    }

    /** Reads a field key; returns field number << 3 | wire type. */
    int readTag() throws ModelFormatException {
        long key = readVarint();
        int field = (int) (key >>> 3);
        int wire = (int) (key & 7);
        if (field <= 0 || key >>> 3 > Integer.MAX_VALUE) {
            throw corrupt("invalid field number " + (key >>> 3));
        }
        if (wire != VARINT && wire != FIXED64 && wire != LEN && wire != FIXED32) {
            throw corrupt("unsupported wire type " + wire + " for field " + field);
        }
        return (int) key;
    }

    long readVarint() throws ModelFormatException {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!buf.hasRemaining()) {
                throw truncated("a varint");
            }
            byte b = buf.get();
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw corrupt("varint longer than 10 bytes");
    }

    int readInt32() throws ModelFormatException {
        return (int) readVarint();
    }

    float readFixed32Float() throws ModelFormatException {
        need(4, "a fixed32");
        return buf.getFloat();
    }

    long readFixed64() throws ModelFormatException {
        need(8, "a fixed64");
        return buf.getLong();
    }

    /** The bytes of a length-delimited field as a little-endian view (no copy). */
    ByteBuffer readBytes() throws ModelFormatException {
        long len = readVarint();
        if (len < 0 || len > buf.remaining()) {
            throw truncated("a field of " + len + " bytes (" + buf.remaining() + " left)");
        }
        ByteBuffer slice = buf.slice(buf.position(), (int) len).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(buf.position() + (int) len);
        return slice;
    }

    String readString() throws ModelFormatException {
        ByteBuffer b = readBytes();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    ProtoReader readMessage(String name) throws ModelFormatException {
        return new ProtoReader(readBytes(), name);
    }

    /** Skips a field of the given wire type (fields this reader does not need). */
    void skip(int tag) throws ModelFormatException {
        switch (tag & 7) {
            case VARINT -> readVarint();
            case FIXED64 -> need(8, "a fixed64").position(buf.position() + 8);
            case FIXED32 -> need(4, "a fixed32").position(buf.position() + 4);
            case LEN -> readBytes();
            default -> throw corrupt("unsupported wire type " + (tag & 7));
        }
    }

    /** Appends the int64s of a repeated field, packed (LEN) or one per tag (VARINT). */
    void readInt64s(int tag, LongList out) throws ModelFormatException {
        if ((tag & 7) == LEN) {
            ProtoReader packed = new ProtoReader(readBytes(), what);
            while (packed.hasMore()) {
                out.add(packed.readVarint());
            }
        } else if ((tag & 7) == VARINT) {
            out.add(readVarint());
        } else {
            throw corrupt("int64 field with wire type " + (tag & 7));
        }
    }

    private ByteBuffer need(int n, String thing) throws ModelFormatException {
        if (buf.remaining() < n) {
            throw truncated(thing);
        }
        return buf;
    }

    ModelFormatException truncated(String thing) {
        return new ModelFormatException("truncated " + what + ": ends inside " + thing + " at byte " + buf.position());
    }

    ModelFormatException corrupt(String problem) {
        return new ModelFormatException("corrupt " + what + ": " + problem + " at byte " + buf.position());
    }

    /** A growable long array (dims and int64 data). */
    static final class LongList {
        private long[] a = new long[4];
        private int n;

        void add(long v) {
            if (n == a.length) {
                a = java.util.Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }

        int size() {
            return n;
        }
    }
}
