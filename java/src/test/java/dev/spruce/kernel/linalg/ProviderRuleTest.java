package dev.spruce.kernel.linalg;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lucene's provider rule for the classes this feature added: only dev.spruce.kernel.vector may mention
 * jdk.incubator.vector, so calibration and pruning load on a JVM started without the incubator module.
 */
class ProviderRuleTest {

    @Test
    void onlyTheVectorPackageReferencesTheIncubatorModule() throws IOException, URISyntaxException {
        Path classes = Path.of(LinAlg.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        int checked = 0;
        for (String pkg : List.of("dev/spruce/kernel/linalg", "dev/spruce/calib", "dev/spruce/prune", "dev/spruce/kernel/scalar")) {
            Path dir = classes.resolve(pkg);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                    String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                    assertFalse(bytes.contains("jdk/incubator/vector"), f + " references jdk.incubator.vector");
                    checked++;
                }
            }
        }
        assertTrue(checked > 10, "expected to scan the compiled classes, found " + checked);
        String vector = new String(Files.readAllBytes(classes.resolve("dev/spruce/kernel/vector/VectorLinAlg.class")),
                StandardCharsets.ISO_8859_1);
        assertTrue(vector.contains("jdk/incubator/vector"), "the scan must be able to see a reference");
    }
}
