package dev.spruce.layout.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Files written through a temporary file get the permissions a plainly created file gets, not owner-only. */
class AtomicWriteTest {
    @TempDir
    Path dir;

    @Test
    void writtenFilesHaveTheUsualPermissionsAndNoTemporaryFileStays() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "not a POSIX file system");
        Set<PosixFilePermission> usual = Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain")));
        Path out = dir.resolve("w.safetensors");
        new SafeTensorsWriter().put("t", TensorDType.F32, new long[] {2}, new float[] {1f, 2f}).write(out);
        assertEquals(usual, Files.getPosixFilePermissions(out));
        // overwriting keeps them too, and leaves only the two files
        new SafeTensorsWriter().put("t", TensorDType.F32, new long[] {1}, new float[] {3f}).write(out);
        assertEquals(usual, Files.getPosixFilePermissions(out));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("plain", "w.safetensors"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
