package dev.spruce.cuda;

import org.bytedeco.javacpp.Pointer;

import java.lang.foreign.MemorySegment;

/**
 * Bridges raw addresses (device memory, native {@link MemorySegment}s) to JavaCPP {@link Pointer}s without
 * copying. JavaCPP 1.5.14 has no MemorySegment API; its {@code address} field is protected, so a tiny
 * subclass sets it (the pattern JavaCPP's own README uses). The caller keeps the memory alive.
 */
public final class Pointers {
    private Pointers() {
    }

    private static final class At extends Pointer {
        At(long address, long bytes) {
            this.address = address;
            this.limit = bytes;
            this.capacity = bytes;
        }
    }

    /** A Pointer at {@code address} covering {@code bytes} (0 = unknown extent, e.g. a stream handle). */
    public static Pointer at(long address, long bytes) {
        return new At(address, bytes);
    }

    /** A Pointer to the first byte of a native (off-heap) segment. */
    public static Pointer of(MemorySegment segment) {
        if (segment == null) {
            throw new IllegalArgumentException("segment must not be null");
        }
        if (!segment.isNative()) {
            throw new IllegalArgumentException("only native (off-heap) segments have a stable address; got a heap segment");
        }
        return new At(segment.address(), segment.byteSize());
    }
}
