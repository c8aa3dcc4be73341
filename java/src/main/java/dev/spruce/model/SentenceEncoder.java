package dev.spruce.model;

import dev.spruce.model.tokenizer.TokenBatch;
import dev.spruce.model.tokenizer.WordPieceTokenizer;

import java.util.List;

/**
 * Text in, sentence embeddings out: a tokenizer, a {@link BertModel} and the model's {@link Pooling}. Closing
 * closes the model.
 */
public final class SentenceEncoder implements AutoCloseable {
    private final WordPieceTokenizer tokenizer;
    private final BertModel model;
    private final Pooling pooling;

    /** Mean pooling (the sentence-transformers recipe, all-MiniLM-L6-v2's). */
    public SentenceEncoder(WordPieceTokenizer tokenizer, BertModel model) {
        this(tokenizer, model, Pooling.MEAN);
    }

    public SentenceEncoder(WordPieceTokenizer tokenizer, BertModel model, Pooling pooling) {
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize() + " tokens, the model "
                    + model.config().vocabSize());
        }
        this.tokenizer = tokenizer;
        this.model = model;
        this.pooling = java.util.Objects.requireNonNull(pooling, "pooling");
    }

    public Pooling pooling() {
        return pooling;
    }

    public WordPieceTokenizer tokenizer() {
        return tokenizer;
    }

    public BertModel model() {
        return model;
    }

    /** The same tokenizer and pooling over another model (for example a pruned one derived from this model). */
    public SentenceEncoder with(BertModel other) {
        return new SentenceEncoder(tokenizer, other, pooling);
    }

    /** L2-normalised embeddings, one row per sentence, computed as one batch. */
    public float[][] embed(List<String> sentences) {
        return embed(tokenizer.batch(sentences));
    }

    public float[][] embed(List<String> sentences, LinearTap tap) {
        return model.embed(tokenizer.batch(sentences), tap, pooling);
    }

    /**
     * Embeddings of many sentences, {@code batch} at a time (one padded forward each), in order: long lists stay
     * within the memory a batch needs.
     */
    public float[][] embed(List<String> sentences, int batch) {
        float[][] out = new float[sentences.size()][];
        for (int i = 0; i < sentences.size(); i += batch) {
            float[][] e = embed(sentences.subList(i, Math.min(sentences.size(), i + batch)));
            System.arraycopy(e, 0, out, i, e.length);
        }
        return out;
    }

    /** L2-normalised embeddings of an already tokenized batch. */
    public float[][] embed(TokenBatch batch) {
        return model.embed(batch, null, pooling);
    }

    public float[] embed(String sentence) {
        return embed(List.of(sentence))[0];
    }

    @Override
    public void close() {
        model.close();
    }
}
