package dev.spruce.model.tokenizer;

import dev.spruce.model.ModelFormatException;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A BERT WordPiece tokenizer driven by a Hugging Face tokenizer.json: BertNormalizer, BertPreTokenizer,
 * WordPiece with its continuing-subword prefix and max characters per word, the [CLS] ... [SEP] template,
 * right truncation and padding. Added (special) tokens written literally in the text, such as "[SEP]",
 * are matched before normalization, as Hugging Face does.
 *
 * <p>Only the BERT pipeline is accepted; a tokenizer.json describing another model type (BPE, Unigram) or
 * another normalizer is rejected by name rather than tokenized differently from its reference.
 */
public final class WordPieceTokenizer {
    private final Map<String, Integer> vocab;
    private final String[] byId;
    private final BertNormalizer normalizer;
    private final BertPreTokenizer preTokenizer = new BertPreTokenizer();
    private final String prefix;
    private final int maxCharsPerWord;
    private final int unkId;
    private final int clsId;
    private final int sepId;
    private final int padId;
    private final int maxLength;
    private final List<String> addedTokens; // longest first, for literal matching

    private WordPieceTokenizer(Map<String, Integer> vocab, BertNormalizer normalizer, String prefix, int maxCharsPerWord,
                               String unk, String cls, String sep, String pad, int maxLength,
                               List<String> addedTokens, String source) throws ModelFormatException {
        this.vocab = vocab;
        int maxId = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        this.byId = new String[maxId + 1];
        vocab.forEach((t, id) -> byId[id] = t);
        this.normalizer = normalizer;
        this.prefix = prefix;
        this.maxCharsPerWord = maxCharsPerWord;
        this.unkId = id(unk, source);
        this.clsId = id(cls, source);
        this.sepId = id(sep, source);
        this.padId = id(pad, source);
        if (maxLength < 3) {
            throw new ModelFormatException(source + ": max length " + maxLength + " leaves no room for a token");
        }
        this.maxLength = maxLength;
        this.addedTokens = addedTokens.stream().filter(vocab::containsKey)
                .sorted(Comparator.comparingInt(String::length).reversed()).toList();
    }

    private int id(String token, String source) throws ModelFormatException {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new ModelFormatException(source + ": special token " + token + " is not in the vocabulary");
        }
        return id;
    }

    /** Loads a tokenizer.json file. */
    public static WordPieceTokenizer load(Path file) throws ModelFormatException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(r, file.toString());
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("tokenizer file not found: " + file);
        } catch (ModelFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelFormatException("cannot read tokenizer " + file + ": " + e.getMessage(), e);
        }
    }

    /** Loads a tokenizer.json from a stream (for example a class-path resource). */
    public static WordPieceTokenizer load(InputStream in, String source) throws ModelFormatException {
        if (in == null) {
            throw new ModelFormatException("tokenizer not found: " + source);
        }
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return parse(r, source);
        } catch (ModelFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelFormatException("cannot read tokenizer " + source + ": " + e.getMessage(), e);
        }
    }

    private static WordPieceTokenizer parse(Reader r, String source) throws ModelFormatException {
        Object root;
        try {
            root = JsonTree.parse(r);
        } catch (IOException e) {
            throw new ModelFormatException(source + ": corrupt tokenizer.json (" + e.getMessage() + ")", e);
        }
        if (!(root instanceof Map<?, ?> m)) {
            throw new ModelFormatException(source + ": not a tokenizer.json (top level is not an object)");
        }
        try {
            return fromJson(m, source);
        } catch (ClassCastException | NullPointerException e) {
            throw new ModelFormatException(source + ": malformed tokenizer.json (" + e.getMessage() + ")", e);
        }
    }

    private static WordPieceTokenizer fromJson(Map<?, ?> root, String source) throws ModelFormatException {
        Map<?, ?> model = obj(root, "model", source);
        String type = str(model, "type", "WordPiece");
        if (!type.equals("WordPiece")) {
            throw new ModelFormatException(source + ": tokenizer model is " + type + ", only WordPiece is supported");
        }
        Map<?, ?> vocabJson = obj(model, "vocab", source);
        Map<String, Integer> vocab = new HashMap<>(vocabJson.size() * 2);
        for (Map.Entry<?, ?> e : vocabJson.entrySet()) {
            long id = ((Number) e.getValue()).longValue();
            if (id < 0 || id > Integer.MAX_VALUE) {
                throw new ModelFormatException(source + ": invalid id " + id + " for token '" + e.getKey() + "'");
            }
            vocab.put((String) e.getKey(), (int) id);
        }
        if (vocab.isEmpty()) {
            throw new ModelFormatException(source + ": empty vocabulary");
        }
        BertNormalizer normalizer = new BertNormalizer(false, false, false, false);
        if (root.get("normalizer") instanceof Map<?, ?> n) {
            String nt = str(n, "type", "");
            if (!nt.equals("BertNormalizer")) {
                throw new ModelFormatException(source + ": normalizer " + nt + " is not supported (expected BertNormalizer)");
            }
            normalizer = new BertNormalizer(bool(n, "clean_text", true), bool(n, "handle_chinese_chars", true),
                    (Boolean) n.get("strip_accents"), bool(n, "lowercase", true));
        }
        if (root.get("pre_tokenizer") instanceof Map<?, ?> pt) {
            String ptt = str(pt, "type", "");
            if (!ptt.equals("BertPreTokenizer")) {
                throw new ModelFormatException(source + ": pre-tokenizer " + ptt + " is not supported (expected BertPreTokenizer)");
            }
        }
        int maxLength = 512;
        if (root.get("truncation") instanceof Map<?, ?> t && t.get("max_length") instanceof Number n) {
            maxLength = n.intValue();
        }
        String pad = "[PAD]";
        if (root.get("padding") instanceof Map<?, ?> p) {
            pad = str(p, "pad_token", pad);
        }
        List<String> added = new ArrayList<>();
        if (root.get("added_tokens") instanceof List<?> l) {
            for (Object e : l) {
                added.add((String) ((Map<?, ?>) e).get("content"));
            }
        }
        int maxChars = model.get("max_input_chars_per_word") instanceof Number n ? n.intValue() : 100;
        return new WordPieceTokenizer(vocab, normalizer, str(model, "continuing_subword_prefix", "##"), maxChars,
                str(model, "unk_token", "[UNK]"), "[CLS]", "[SEP]", pad, maxLength, added, source);
    }

    private static Map<?, ?> obj(Map<?, ?> o, String key, String source) throws ModelFormatException {
        if (!(o.get(key) instanceof Map<?, ?> m)) {
            throw new ModelFormatException(source + ": tokenizer.json has no '" + key + "' object");
        }
        return m;
    }

    private static String str(Map<?, ?> o, String key, String dflt) {
        return o.get(key) instanceof String s ? s : dflt;
    }

    private static boolean bool(Map<?, ?> o, String key, boolean dflt) {
        return o.get(key) instanceof Boolean b ? b : dflt;
    }

    /** Vocabulary size (highest id + 1). */
    public int vocabSize() {
        return byId.length;
    }

    /** Longest encoding, [CLS] and [SEP] included; longer texts are cut on the right. */
    public int maxLength() {
        return maxLength;
    }

    public int padId() {
        return padId;
    }

    /** The token text of an id (for debugging and tests). */
    public String token(int id) {
        return id >= 0 && id < byId.length ? byId[id] : null;
    }

    /** Word pieces of a text, without [CLS]/[SEP] and without truncation. */
    public List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        for (int id : pieceIds(text)) {
            out.add(byId[id]);
        }
        return out;
    }

    /** [CLS] pieces [SEP], truncated to {@link #maxLength()}. */
    public int[] encode(String text) {
        return encode(text, maxLength);
    }

    /** [CLS] pieces [SEP], truncated to {@code maxLen} (at least 3, at most {@link #maxLength()}). */
    public int[] encode(String text, int maxLen) {
        if (maxLen < 3) {
            throw new IllegalArgumentException("max length must be at least 3, got " + maxLen);
        }
        List<Integer> pieces = pieceIds(text);
        int n = Math.min(pieces.size(), Math.min(maxLen, maxLength) - 2);
        int[] ids = new int[n + 2];
        ids[0] = clsId;
        for (int i = 0; i < n; i++) {
            ids[i + 1] = pieces.get(i);
        }
        ids[n + 1] = sepId;
        return ids;
    }

    /** Encodes sentences and pads them to the longest one. */
    public TokenBatch batch(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("cannot tokenize an empty batch");
        }
        int[][] enc = new int[texts.size()][];
        int len = 0;
        for (int b = 0; b < enc.length; b++) {
            enc[b] = encode(texts.get(b));
            len = Math.max(len, enc[b].length);
        }
        int[] ids = new int[enc.length * len];
        int[] mask = new int[ids.length];
        int[] lengths = new int[enc.length];
        java.util.Arrays.fill(ids, padId);
        for (int b = 0; b < enc.length; b++) {
            System.arraycopy(enc[b], 0, ids, b * len, enc[b].length);
            java.util.Arrays.fill(mask, b * len, b * len + enc[b].length, 1);
            lengths[b] = enc[b].length;
        }
        return new TokenBatch(enc.length, len, ids, mask, new int[ids.length], lengths);
    }

    private List<Integer> pieceIds(String text) {
        List<Integer> out = new ArrayList<>();
        int start = 0;
        // Literal added tokens ("[SEP]") are cut out first and kept whole, as Hugging Face does.
        outer:
        for (int i = 0; i < text.length(); i++) {
            for (String t : addedTokens) {
                if (text.startsWith(t, i)) {
                    encodeSpan(text.substring(start, i), out);
                    out.add(vocab.get(t));
                    start = i + t.length();
                    i = start - 1;
                    continue outer;
                }
            }
        }
        encodeSpan(text.substring(start), out);
        return out;
    }

    private void encodeSpan(String span, List<Integer> out) {
        if (span.isEmpty()) {
            return;
        }
        for (String word : preTokenizer.split(normalizer.normalize(span))) {
            wordPiece(word, out);
        }
    }

    /** Greedy longest-match-first WordPiece; a word with any unmatched part becomes one [UNK]. */
    private void wordPiece(String word, List<Integer> out) {
        if (word.codePointCount(0, word.length()) > maxCharsPerWord) {
            out.add(unkId);
            return;
        }
        int mark = out.size();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            while (start < end) {
                String sub = word.substring(start, end);
                if (start > 0) {
                    sub = prefix + sub;
                }
                found = vocab.get(sub);
                if (found != null) {
                    break;
                }
                end = word.offsetByCodePoints(end, -1);
            }
            if (found == null) {
                while (out.size() > mark) {
                    out.remove(out.size() - 1);
                }
                out.add(unkId);
                return;
            }
            out.add(found);
            start = end;
        }
    }
}
