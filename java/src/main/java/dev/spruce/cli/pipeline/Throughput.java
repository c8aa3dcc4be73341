package dev.spruce.cli.pipeline;

import dev.spruce.model.EncoderTiming;
import dev.spruce.model.OrtSentenceEncoder;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.model.tokenizer.TokenBatch;

import java.util.List;

/**
 * End-to-end sentences per second of Java encoders and ONNX Runtime on the same tokenized batches
 * (tokenization excluded for all, see {@link EncoderTiming}).
 */
public final class Throughput {
    private final List<String> sentences;
    private final double warmupSeconds;
    private final double seconds;

    /**
     * @param sentences the sentences timed: the first 16 at batch 1, the first two batches' worth otherwise, so
     *                  that one pass (the unit of warm-up and timing) stays short even for a slow engine
     */
    public Throughput(List<String> sentences, double warmupSeconds, double seconds) {
        if (sentences.isEmpty()) {
            throw new IllegalArgumentException("timing needs at least one sentence");
        }
        this.sentences = List.copyOf(sentences);
        this.warmupSeconds = warmupSeconds;
        this.seconds = seconds;
    }

    private List<TokenBatch> batches(SentenceEncoder enc, int batch) {
        List<String> s = sentences.subList(0, Math.min(batch == 1 ? 16 : 2 * batch, sentences.size()));
        return EncoderTiming.batches(enc.tokenizer(), s, batch);
    }

    /** Sentences/s of a Java encoder at {@code batch}. */
    public double java(String name, SentenceEncoder enc, int batch) throws Exception {
        return EncoderTiming.measure(name, enc::embed, batches(enc, batch), warmupSeconds, seconds)
                .sentencesPerSecond();
    }

    /** Sentences/s of ONNX Runtime at {@code batch}, on the batches the Java tokenizer {@code like} makes. */
    public double ort(OrtSentenceEncoder ort, SentenceEncoder like, int batch) throws Exception {
        return EncoderTiming.measure("ONNX Runtime", ort::embed, batches(like, batch), warmupSeconds, seconds)
                .sentencesPerSecond();
    }
}
