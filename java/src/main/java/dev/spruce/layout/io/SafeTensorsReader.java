package dev.spruce.layout.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads safetensors files strictly: 8-byte little-endian header length, a UTF-8 JSON object header, then the
 * data. Rejected with an {@link IllegalArgumentException} naming the file and the problem: a file shorter than 8
 * bytes, a header length beyond the file (or above 100 MB), a header that is not one JSON object, duplicate keys,
 * unknown fields, unsupported dtypes, negative or non-integer shapes, offsets that are reversed, out of range,
 * overlapping or leave holes (the data must be covered exactly, as the format requires), and byte counts that do
 * not match dtype x shape. The file is memory-mapped, so large model files are not copied onto the heap.
 */
public final class SafeTensorsReader {
    /** Same bound as the reference implementation: headers beyond this are not plausible. */
    static final long MAX_HEADER = 100L * 1024 * 1024;
    static final String METADATA = "__metadata__";

    // Jackson's streaming core is used because it is strict (duplicate-key detection, exact number types)
    // without the reflection machinery of a data-binding library.
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private SafeTensorsReader() {
    }

    private record Entry(String name, TensorDType dtype, long[] shape, long begin, long end) {
    }

    /** Maps and validates {@code path}. The caller closes the result. */
    public static SafeTensors read(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            String where = "safetensors file " + path + ": ";
            if (size < 8) {
                throw new IllegalArgumentException(where + "truncated: " + size + " bytes, not even the 8-byte header length");
            }
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena).asReadOnly();
            SafeTensors st = parse(file, where, arena);
            return st;
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Validates an in-memory file image (the segment must stay alive as long as the result). */
    static SafeTensors parse(MemorySegment file, String where, Arena arena) throws IOException {
        long size = file.byteSize();
        long n = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > MAX_HEADER) {
            throw new IllegalArgumentException(where + "header length " + n + " is not plausible (2.." + MAX_HEADER + ")");
        }
        if (8 + n > size) {
            throw new IllegalArgumentException(where + "truncated: header length " + n + " reaches byte " + (8 + n)
                    + " but the file has " + size + " bytes");
        }
        byte[] header = file.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        if (header[0] != '{') {
            throw new IllegalArgumentException(where + "header does not start with '{'");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        try (JsonParser p = JSON.createParser(header)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, where, "header");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                if (METADATA.equals(key)) {
                    readMetadata(p, metadata, where);
                } else {
                    entries.add(readEntry(p, key, where));
                }
            }
            expect(p.currentToken(), JsonToken.END_OBJECT, where, "header");
            if (p.nextToken() != null) {
                throw new IllegalArgumentException(where + "trailing content after the header object");
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + "malformed JSON header: " + e.getOriginalMessage(), e);
        }
        long dataSize = size - 8 - n;
        checkCoverage(entries, dataSize, where);
        MemorySegment data = file.asSlice(8 + n);
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            tensors.put(e.name, new SafeTensors.Tensor(e.name, e.dtype, e.shape,
                    data.asSlice(e.begin, e.end - e.begin).asReadOnly()));
        }
        return new SafeTensors(tensors, metadata, arena);
    }

    private static void checkCoverage(List<Entry> entries, long dataSize, String where) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        Entry prev = null;
        for (Entry e : sorted) {
            if (e.end > dataSize) {
                throw new IllegalArgumentException(where + "tensor '" + e.name + "' data_offsets [" + e.begin + ", "
                        + e.end + "] run past the data section (" + dataSize + " bytes): file truncated or offsets wrong");
            }
            if (e.begin < at) {
                throw new IllegalArgumentException(where + "tensor '" + e.name + "' [" + e.begin + ", " + e.end
                        + "] overlaps tensor '" + prev.name + "' [" + prev.begin + ", " + prev.end + "]");
            }
            if (e.begin > at) {
                throw new IllegalArgumentException(where + "bytes " + at + ".." + e.begin + " of the data section belong"
                        + " to no tensor (a hole before '" + e.name + "')");
            }
            at = e.end;
            prev = e;
        }
        if (at != dataSize) {
            throw new IllegalArgumentException(where + "the data section has " + dataSize + " bytes but the tensors cover "
                    + at + " (trailing bytes or missing tensor)");
        }
    }

    private static void readMetadata(JsonParser p, Map<String, String> metadata, String where) throws IOException {
        expect(p.nextToken(), JsonToken.START_OBJECT, where, METADATA);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw new IllegalArgumentException(where + METADATA + " value of '" + k + "' must be a string, got "
                        + p.currentToken());
            }
            metadata.put(k, p.getText());
        }
    }

    private static Entry readEntry(JsonParser p, String name, String where) throws IOException {
        String w = where + "tensor '" + name + "': ";
        expect(p.nextToken(), JsonToken.START_OBJECT, w, "entry");
        TensorDType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            switch (f) {
                case "dtype" -> {
                    if (p.nextToken() != JsonToken.VALUE_STRING) {
                        throw new IllegalArgumentException(w + "dtype must be a string");
                    }
                    try {
                        dtype = TensorDType.parse(p.getText());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(w + e.getMessage(), e);
                    }
                }
                case "shape" -> shape = readLongs(p, w + "shape", -1);
                case "data_offsets" -> offsets = readLongs(p, w + "data_offsets", 2);
                default -> throw new IllegalArgumentException(w + "unknown field '" + f + "'");
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            throw new IllegalArgumentException(w + "needs dtype, shape and data_offsets");
        }
        if (offsets[1] < offsets[0]) {
            throw new IllegalArgumentException(w + "data_offsets [" + offsets[0] + ", " + offsets[1] + "] are reversed");
        }
        long elements = 1;
        try {
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            long bytes = Math.multiplyExact(elements, dtype.bytes());
            if (bytes != offsets[1] - offsets[0]) {
                throw new IllegalArgumentException(w + dtype + java.util.Arrays.toString(shape) + " needs " + bytes
                        + " bytes but data_offsets [" + offsets[0] + ", " + offsets[1] + "] span " + (offsets[1] - offsets[0]));
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(w + "shape " + java.util.Arrays.toString(shape) + " overflows", e);
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] readLongs(JsonParser p, String what, int exactCount) throws IOException {
        if (p.nextToken() != JsonToken.START_ARRAY) {
            throw new IllegalArgumentException(what + " must be an array");
        }
        List<Long> out = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw new IllegalArgumentException(what + " must hold integers, got " + p.getText());
            }
            long v = p.getLongValue();
            if (v < 0) {
                throw new IllegalArgumentException(what + " must not be negative, got " + v);
            }
            out.add(v);
        }
        if (exactCount >= 0 && out.size() != exactCount) {
            throw new IllegalArgumentException(what + " must have " + exactCount + " entries, got " + out.size());
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static void expect(JsonToken got, JsonToken want, String where, String what) {
        if (got != want) {
            throw new IllegalArgumentException(where + what + ": expected " + want + ", got " + got);
        }
    }
}
