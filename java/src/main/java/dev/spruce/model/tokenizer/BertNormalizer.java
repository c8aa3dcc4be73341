package dev.spruce.model.tokenizer;

import java.text.Normalizer;
import java.util.Locale;

/**
 * The BERT text normalizer as tokenizer.json's "BertNormalizer" describes it, applied in the same order as
 * Hugging Face tokenizers: clean text (drop NUL, U+FFFD and control characters, map whitespace to a space),
 * surround CJK ideographs with spaces, strip accents (NFD, drop non-spacing marks), lowercase.
 */
public final class BertNormalizer {
    private final boolean cleanText;
    private final boolean chineseChars;
    private final boolean stripAccents;
    private final boolean lowercase;

    /** {@code stripAccents} null means "follow lowercase", as in the original BERT. */
    public BertNormalizer(boolean cleanText, boolean chineseChars, Boolean stripAccents, boolean lowercase) {
        this.cleanText = cleanText;
        this.chineseChars = chineseChars;
        this.stripAccents = stripAccents == null ? lowercase : stripAccents;
        this.lowercase = lowercase;
    }

    public String normalize(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cleanText) {
                if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                    continue;
                }
                if (isWhitespace(cp)) {
                    sb.append(' ');
                    continue;
                }
            }
            if (chineseChars && isCjk(cp)) {
                sb.append(' ').appendCodePoint(cp).append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        }
        String s = sb.toString();
        if (stripAccents) {
            s = stripMarks(Normalizer.normalize(s, Normalizer.Form.NFD));
        }
        if (lowercase) {
            s = s.toLowerCase(Locale.ROOT);
        }
        return s;
    }

    private static String stripMarks(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.getType(cp) != Character.NON_SPACING_MARK) {
                sb.appendCodePoint(cp);
            }
        }
        return sb.toString();
    }

    /** Whitespace as BERT defines it: space, tab, newline, carriage return, or Unicode category Zs. */
    static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    /** Control as BERT defines it: any "other" category (Cc, Cf, Cs, Co, Cn) except tab, newline, CR. */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE
                || t == Character.PRIVATE_USE || t == Character.UNASSIGNED;
    }

    /** The CJK Unified Ideograph blocks BERT isolates (not Hangul or Kana, which are written with spaces). */
    static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
