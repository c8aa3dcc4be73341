package dev.spruce.cli;

import java.io.IOException;
import java.nio.file.Files;
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
    static final Path ENABLED = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    private TransparentHugePages() {
    }

    /** True when {@code enabled} (the kernel's setting file) names madvise as the current mode. */
    static boolean onRequest(Path enabled) {
        try {
            return Files.readString(enabled).contains("[madvise]");
        } catch (IOException | SecurityException e) {
            return false; // not Linux, or not readable: no flag, as the launcher does
        }
    }
}
