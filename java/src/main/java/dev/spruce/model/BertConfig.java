package dev.spruce.model;

/**
 * The shape of a BERT-family encoder, as read from a model file (never assumed): hidden size, attention
 * heads, layers, feed-forward width, vocabulary, position and token-type table sizes, the LayerNorm epsilon
 * and the feed-forward activation.
 */
public record BertConfig(int hiddenSize, int heads, int layers, int intermediateSize, int vocabSize,
                         int maxPositions, int typeVocabSize, float layerNormEps, Activation activation) {

    public BertConfig {
        if (hiddenSize < 1 || heads < 1 || layers < 1 || intermediateSize < 1 || vocabSize < 1 || maxPositions < 3) {
            throw new IllegalArgumentException("invalid BERT shape: " + describe(hiddenSize, heads, layers,
                    intermediateSize, vocabSize, maxPositions));
        }
        if (hiddenSize % heads != 0) {
            throw new IllegalArgumentException("hidden size " + hiddenSize + " is not divisible by " + heads + " heads");
        }
        if (!(layerNormEps > 0) || activation == null) {
            throw new IllegalArgumentException("LayerNorm epsilon must be > 0 and the activation known");
        }
    }

    public int headDim() {
        return hiddenSize / heads;
    }

    private static String describe(int h, int heads, int layers, int inter, int vocab, int pos) {
        return "hidden " + h + ", heads " + heads + ", layers " + layers + ", intermediate " + inter
                + ", vocab " + vocab + ", positions " + pos;
    }

    @Override
    public String toString() {
        return describe(hiddenSize, heads, layers, intermediateSize, vocabSize, maxPositions)
                + ", token types " + typeVocabSize + ", eps " + layerNormEps + ", " + activation;
    }
}
