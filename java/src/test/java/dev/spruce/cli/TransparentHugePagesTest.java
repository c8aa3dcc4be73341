package dev.spruce.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransparentHugePagesTest {
    @TempDir
    Path dir;

    private Path setting(String text) throws IOException {
        return Files.writeString(dir.resolve("enabled"), text);
    }

    @Test
    void onlyTheBracketedModeCounts() throws IOException {
        assertTrue(TransparentHugePages.onRequest(setting("always [madvise] never\n")));
        assertFalse(TransparentHugePages.onRequest(setting("[always] madvise never\n")));
        assertFalse(TransparentHugePages.onRequest(setting("always madvise [never]\n")));
    }

    @Test
    void unreadableSettingMeansNoFlag() {
        assertFalse(TransparentHugePages.onRequest(dir.resolve("absent")));
    }

    @Test
    void benchForksGetTheLaunchersHeapPagesExactlyWhenTheKernelIsInMadviseMode() {
        List<String> cmd = new BenchCommand().command(Path.of("benchmarks.jar"), Path.of("out.json"));
        boolean madvise = TransparentHugePages.onRequest(TransparentHugePages.ENABLED);
        int at = cmd.indexOf("-jvmArgsAppend");
        assertEquals(madvise, at >= 0, () -> "command " + cmd);
        if (madvise) {
            assertEquals("-XX:+UseTransparentHugePages", cmd.get(at + 1));
        }
    }
}
