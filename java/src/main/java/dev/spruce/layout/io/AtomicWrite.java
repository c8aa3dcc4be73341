package dev.spruce.layout.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;

/**
 * Write-then-rename for output files, so a failed or interrupted write never leaves a half-written file.
 *
 * <p>WHY not {@link Files#createTempFile}: it creates the file owner-only (rw-------) on POSIX, and the rename
 * keeps that, so packed models and reports came out unreadable to everyone else. A file made with
 * {@link Files#createFile} gets the permissions any new file gets (the umask applies).
 */
public final class AtomicWrite {
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicWrite() {
    }

    /** A new, empty, hidden file in {@code target}'s folder, to be written and then {@link #replace}d onto it. */
    public static Path tempBeside(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        for (int attempt = 0; ; attempt++) {
            Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 16) {
                    throw e;
                }
            }
        }
    }

    /** Moves {@code tmp} onto {@code target}, atomically where the file system can. */
    public static void replace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
