package dev.spruce.model;

import dev.spruce.model.tokenizer.WordPieceTokenizer;

import java.util.List;

/** Text in, sentence embeddings out: a tokenizer and a {@link BertModel}. Closing closes the model. */
public final class SentenceEncoder implements AutoCloseable {
    private final WordPieceTokenizer tokenizer;
    private final BertModel model;

    public SentenceEncoder(WordPieceTokenizer tokenizer, BertModel model) {
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize() + " tokens, the model "
                    + model.config().vocabSize());
        }
        this.tokenizer = tokenizer;
        this.model = model;
    }

    public WordPieceTokenizer tokenizer() {
        return tokenizer;
    }

    public BertModel model() {
        return model;
    }

    /** The same tokenizer over another model (for example a pruned one derived from this model). */
    public SentenceEncoder with(BertModel other) {
        return new SentenceEncoder(tokenizer, other);
    }

    /** L2-normalised embeddings, one row per sentence, computed as one padded batch. */
    public float[][] embed(List<String> sentences) {
        return model.embed(tokenizer.batch(sentences));
    }

    public float[][] embed(List<String> sentences, LinearTap tap) {
        return model.embed(tokenizer.batch(sentences), tap);
    }

    public float[] embed(String sentence) {
        return embed(List.of(sentence))[0];
    }

    @Override
    public void close() {
        model.close();
    }
}
