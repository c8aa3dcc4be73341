package dev.spruce.kernel.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread off-heap buffers for ARMOR's intermediates (U = B X and V = S U), so a layer called token by token
 * allocates no scratch. Automatic-arena segments, like {@link Scratch}: owned by no thread, so the pool's workers
 * read and write them, and freed by the GC once the caller's thread drops them. Buffers above
 * {@link #KEEP_LIMIT} bytes are handed out but not kept (a rare huge batch should not pin memory for the life of
 * the thread). A separate class from {@link Scratch} because the dense kernels use that one inside worker calls.
 */
final class ArmorScratch {
    private static final long KEEP_LIMIT = 64L << 20;
    static final ArmorScratch INPUT_SIDE = new ArmorScratch();
    static final ArmorScratch OUTPUT_SIDE = new ArmorScratch();

    private final ThreadLocal<MemorySegment> buf = new ThreadLocal<>();

    private ArmorScratch() {
    }

    /** A 64-byte-aligned segment of at least {@code bytes} bytes; contents undefined. */
    MemorySegment get(long bytes) {
        MemorySegment s = buf.get();
        if (s != null && s.byteSize() >= bytes) {
            return s;
        }
        s = Arena.ofAuto().allocate(Math.max(bytes, 64), 64);
        if (bytes <= KEEP_LIMIT) {
            buf.set(s);
        }
        return s;
    }
}
