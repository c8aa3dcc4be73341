package dev.spruce.model.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.spruce.model.Corpus;
import dev.spruce.model.MiniLm;
import dev.spruce.model.ModelFormatException;
import dev.spruce.model.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WordPieceTokenizerTest {

    @Test
    void knownIdsForFixedSentences() throws Exception {
        WordPieceTokenizer t = Shared.tokenizer();
        // ids from the bert-base-uncased vocabulary that all-MiniLM-L6-v2 uses
        assertArrayEquals(new int[]{101, 7592, 1010, 2088, 999, 102}, t.encode("Hello, world!"));
        assertEquals(List.of("it", "was", "foolish", "##ness", "."), t.tokenize("It was foolishness."));
        assertEquals(List.of("cafe", "naive"), t.tokenize("Café  NAÏVE"));
        assertEquals(List.of("[UNK]"), t.tokenize("x".repeat(101)));
        assertEquals(List.of("[CLS]", "a", "[SEP]", "b"), t.tokenize("[CLS]a[SEP]b"));
    }

    @Test
    void truncationAndPadding() throws Exception {
        WordPieceTokenizer t = Shared.tokenizer();
        int[] ids = t.encode("word ".repeat(500));
        assertEquals(t.maxLength(), ids.length);
        assertEquals(101, ids[0]);
        assertEquals(102, ids[ids.length - 1]);
        assertEquals(5, t.encode("word ".repeat(500), 5).length);
        TokenBatch b = t.batch(List.of("one two three four", "one"));
        assertEquals(2, b.batch());
        assertEquals(6, b.seqLen());
        assertArrayEquals(new int[]{6, 3}, b.lengths());
        assertArrayEquals(new int[]{1, 1, 1, 0, 0, 0}, Arrays.copyOfRange(b.mask(), 6, 12));
        assertArrayEquals(new int[]{101, 2028, 102, 0, 0, 0}, Arrays.copyOfRange(b.ids(), 6, 12));
        assertThrows(IllegalArgumentException.class, () -> t.batch(List.of()));
    }

    /** Hugging Face's own Rust tokenizer (through DJL) on the same tokenizer.json is the reference. */
    @Test
    void matchesHuggingFaceTokenizersOnRealAndTrickyText(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("tokenizer.json");
        try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(MiniLm.TOKENIZER_RESOURCE)) {
            Files.copy(in, json);
        }
        List<String> texts = new ArrayList<>(Corpus.evaluation().subList(0, 400));
        texts.addAll(List.of("Café déjà vu: naïve résumé — Zürich, São Paulo & Ægir.",
                "東京は日本の首都です。北京 and 서울 too", "Prices rose 3.5% ($1,200) in Q3; e-mail: a.b@c.org!",
                "tabs\tand\nnewlines\r\nand\u00a0nbsp\u200b zero-width", "emoji 😀 and symbols ∑ ≤ ≥ ±",
                "unaffable unbelievably antidisestablishmentarianism", "x".repeat(120) + " end",
                "[CLS] literal [SEP] tokens [MASK] here", "ÀÉÎÕÜ ñ ç ß ø œ", "''``\"quotes\" -- dashes---", "   ",
                "a" + "\u0301" + "b\u0000c\ufffd"));
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(json)
                .optPadding(false).optTruncation(true).optMaxLength(128).build()) {
            WordPieceTokenizer mine = Shared.tokenizer();
            for (String s : texts) {
                Encoding e = hf.encode(s);
                int[] want = Arrays.stream(e.getIds()).mapToInt(l -> (int) l).toArray();
                assertArrayEquals(want, mine.encode(s), () -> "tokens differ for: " + s + "\n hf:   "
                        + Arrays.toString(e.getTokens()) + "\n mine: " + mine.tokenize(s));
            }
        }
    }

    @Test
    void badTokenizerFilesAreOneClearError(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.json");
        assertTrue(assertThrows(ModelFormatException.class, () -> WordPieceTokenizer.load(missing))
                .getMessage().contains("not found"));
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 1,");
        assertTrue(assertThrows(ModelFormatException.class, () -> WordPieceTokenizer.load(broken))
                .getMessage().contains("corrupt"));
        Path bpe = dir.resolve("bpe.json");
        Files.writeString(bpe, "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
        assertTrue(assertThrows(ModelFormatException.class, () -> WordPieceTokenizer.load(bpe))
                .getMessage().contains("only WordPiece"));
        Path noUnk = dir.resolve("nounk.json");
        Files.writeString(noUnk, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[CLS]\": 0, \"[SEP]\": 1}}}");
        assertTrue(assertThrows(ModelFormatException.class, () -> WordPieceTokenizer.load(noUnk))
                .getMessage().contains("[UNK]"));
    }
}
