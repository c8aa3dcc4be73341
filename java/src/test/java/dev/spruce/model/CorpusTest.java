package dev.spruce.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CorpusTest {

    @Test
    void shippedSplitsAreRealDisjointSentences() throws Exception {
        List<String> calib = Corpus.calibration();
        List<String> eval = Corpus.evaluation();
        assertEquals(2400, calib.size());
        assertEquals(1200, eval.size());
        Set<String> c = new HashSet<>(calib);
        assertEquals(calib.size(), c.size(), "calibration sentences are unique");
        for (String s : eval) {
            assertTrue(!c.contains(s), "in both splits: " + s);
            int words = s.split("\\s+").length;
            assertTrue(words >= 8 && words <= 40, s);
        }
    }

    @Test
    void emptyOrMissingCorpusIsAnError(@TempDir Path dir) throws Exception {
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "\n  \n");
        assertTrue(assertThrows(ModelFormatException.class, () -> Corpus.load(empty)).getMessage().contains("empty"));
        assertTrue(assertThrows(ModelFormatException.class, () -> Corpus.load(dir.resolve("x.txt")))
                .getMessage().contains("not found"));
        Path two = dir.resolve("two.txt");
        Files.writeString(two, "First sentence.\n\nSecond one.\n");
        assertEquals(List.of("First sentence.", "Second one."), Corpus.load(two));
    }
}
