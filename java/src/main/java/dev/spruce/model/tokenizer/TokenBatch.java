package dev.spruce.model.tokenizer;

/**
 * A batch of tokenized sentences padded to one length, row-major [batch x seqLen], in the form BERT
 * encoders take: token ids, attention mask (1 = real token, 0 = padding), token type ids.
 *
 * @param batch    number of sentences
 * @param seqLen   padded length (the longest sentence, [CLS] and [SEP] included)
 * @param ids      batch*seqLen token ids, padding = the pad id
 * @param mask     batch*seqLen attention mask
 * @param typeIds  batch*seqLen token type ids (0 for single sentences)
 * @param lengths  real tokens per sentence
 */
public record TokenBatch(int batch, int seqLen, int[] ids, int[] mask, int[] typeIds, int[] lengths) {

    public TokenBatch {
        if (batch < 1 || seqLen < 1) {
            throw new IllegalArgumentException("token batch must hold at least one token, got " + batch + "x" + seqLen);
        }
        long n = (long) batch * seqLen;
        if (ids.length != n || mask.length != n || typeIds.length != n || lengths.length != batch) {
            throw new IllegalArgumentException("token batch arrays do not match " + batch + "x" + seqLen);
        }
        for (int b = 0; b < batch; b++) {
            if (lengths[b] < 1 || lengths[b] > seqLen) {
                throw new IllegalArgumentException("sentence " + b + " has length " + lengths[b]
                        + " outside 1.." + seqLen);
            }
        }
    }

    /** Total real (non-padding) tokens. */
    public int realTokens() {
        int s = 0;
        for (int l : lengths) {
            s += l;
        }
        return s;
    }

    /** Token ids of sentence b without padding. */
    public int[] idsOf(int b) {
        return java.util.Arrays.copyOfRange(ids, b * seqLen, b * seqLen + lengths[b]);
    }
}
