package dev.spruce.kernel.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread off-heap scratch (widened 16-bit weights), reused across calls.
 *
 * <p>WHY not a confined arena per call: every access to a confined segment checks that the current
 * thread owns it, and inside the GEMM inner loop (6 broadcasts per k-step) that check measurably slowed
 * the bf16 path. Automatic-arena segments have no owner, so their accesses only carry the liveness check,
 * which the JIT hoists; the GC frees a buffer once its thread drops it. One user at a time per thread:
 * kernels take it at the start of a call and never call another kernel that uses it.
 */
final class Scratch {
    private static final ThreadLocal<MemorySegment> BUF = new ThreadLocal<>();

    private Scratch() {
    }

    /** A 64-byte-aligned segment of at least {@code bytes} bytes, owned by no thread; contents undefined. */
    static MemorySegment get(long bytes) {
        MemorySegment s = BUF.get();
        if (s == null || s.byteSize() < bytes) {
            s = Arena.ofAuto().allocate(Math.max(bytes, 64), 64);
            BUF.set(s);
        }
        return s;
    }
}
