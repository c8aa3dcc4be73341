package dev.spruce.layout.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a safetensors file: tensors in the order they were added, packed back to back (no holes, as the format
 * requires), the header padded with spaces so the data starts 8-byte aligned, plus an optional
 * {@code __metadata__} string map. The file is written next to the target under a temporary name and then renamed
 * atomically, so a reader never sees a half-written file. Tensor bytes are copied at {@link #put} time, so the
 * caller may free its memory afterwards.
 */
public final class SafeTensorsWriter {
    private static final JsonFactory JSON = new JsonFactory();

    private record Pending(TensorDType dtype, long[] shape, byte[] bytes) {
    }

    private final Map<String, Pending> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds string metadata (written under {@code __metadata__}). */
    public SafeTensorsWriter metadata(Map<String, String> entries) {
        for (Map.Entry<String, String> e : entries.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("metadata keys and values must not be null");
            }
            metadata.put(e.getKey(), e.getValue());
        }
        return this;
    }

    /** Adds a tensor; {@code data} must hold exactly dtype x shape bytes (little-endian). */
    public SafeTensorsWriter put(String name, TensorDType dtype, long[] shape, MemorySegment data) {
        if (name == null || name.isEmpty() || SafeTensorsReader.METADATA.equals(name)) {
            throw new IllegalArgumentException("illegal tensor name '" + name + "'");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        if (dtype == null || shape == null || data == null) {
            throw new IllegalArgumentException("tensor '" + name + "': dtype, shape and data must not be null");
        }
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(shape));
            }
            elements = Math.multiplyExact(elements, d);
        }
        long bytes = Math.multiplyExact(elements, dtype.bytes());
        if (data.byteSize() < bytes) {
            throw new IllegalArgumentException("tensor '" + name + "': " + dtype + Arrays.toString(shape) + " needs "
                    + bytes + " bytes, data has " + data.byteSize());
        }
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor '" + name + "' is larger than 2 GB; not supported by this writer");
        }
        byte[] copy = data.asSlice(0, bytes).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        tensors.put(name, new Pending(dtype, shape.clone(), copy));
        return this;
    }

    /** Adds a heap array of any primitive type as a tensor (copied). */
    public SafeTensorsWriter put(String name, TensorDType dtype, long[] shape, Object primitiveArray) {
        MemorySegment seg = switch (primitiveArray) {
            case float[] a -> MemorySegment.ofArray(a);
            case short[] a -> MemorySegment.ofArray(a);
            case int[] a -> MemorySegment.ofArray(a);
            case long[] a -> MemorySegment.ofArray(a);
            case double[] a -> MemorySegment.ofArray(a);
            case byte[] a -> MemorySegment.ofArray(a);
            default -> throw new IllegalArgumentException("unsupported array type " + primitiveArray);
        };
        return put(name, dtype, shape, seg);
    }

    /** The header JSON, padded with spaces to make 8 + length a multiple of 8. */
    byte[] header() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(SafeTensorsReader.METADATA);
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
            }
            long at = 0;
            for (Map.Entry<String, Pending> e : tensors.entrySet()) {
                Pending t = e.getValue();
                g.writeObjectFieldStart(e.getKey());
                g.writeStringField("dtype", t.dtype.headerName());
                g.writeArrayFieldStart("shape");
                for (long d : t.shape) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(at);
                g.writeNumber(at + t.bytes.length);
                g.writeEndArray();
                g.writeEndObject();
                at += t.bytes.length;
            }
            g.writeEndObject();
        }
        while (out.size() % 8 != 0) {
            out.write(' ');
        }
        return out.toByteArray();
    }

    /** Writes the file (temporary file + atomic rename). */
    public void write(Path path) throws IOException {
        Path abs = path.toAbsolutePath();
        Path tmp = AtomicWrite.tempBeside(abs);
        try {
            byte[] header = header();
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
                writeFully(ch, len);
                writeFully(ch, ByteBuffer.wrap(header));
                for (Pending t : tensors.values()) {
                    writeFully(ch, ByteBuffer.wrap(t.bytes));
                }
                ch.force(true);
            }
            AtomicWrite.replace(tmp, abs);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
