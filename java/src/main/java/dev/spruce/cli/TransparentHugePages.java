package dev.spruce.cli;

import dev.spruce.tensor.NativeMemory;

import java.nio.file.Path;

/**
 * Whether Linux gives transparent huge pages only to memory that asks for them ("madvise" mode), the case where
 * the {@code spruce} launcher starts the JVM with {@code -XX:+UseTransparentHugePages}. {@code spruce bench} asks
 * the same question so the benchmark JVMs run with the heap pages a user's run gets: the 2:4 many-token kernel
 * streams a heap-resident repack, 4096 x 11008 at 32 tokens measured 42.0 vs 32.9 ms without and with the flag
 * (JMH, 2026-11-30).
 */
final class TransparentHugePages {
    /** The kernel's setting; its current mode is the bracketed word, e.g. {@code always [madvise] never}. */
    static final Path ENABLED = NativeMemory.THP_ENABLED;

    private TransparentHugePages() {
    }

    /** True when {@code enabled} (the kernel's setting file) names madvise as the current mode. */
    static boolean onRequest(Path enabled) {
        // Not Linux, or not readable: "unreadable", so no flag, as the launcher does.
        return NativeMemory.transparentHugePageMode(enabled).equals("madvise");
    }
}
