package dev.spruce.model;

import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.Parallel;
import dev.spruce.model.tokenizer.TokenBatch;
import dev.spruce.tensor.DType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Sentences per second of a sentence encoder at a given batch size — a timing harness, not a test (the
 * lead's {@code spruce bench} reuses {@link #measure}). Tokenization is done before timing so only the
 * forward is measured, for Java and ONNX Runtime alike; each run warms up first, then repeats whole passes
 * over the sentences until the time budget is spent.
 *
 * <p>{@code main}: dense Java vs ONNX Runtime on the evaluation corpus at batch 1 and 32, with the thread
 * count of {@code -Dspruce.threads} (default: all processors) for both.
 */
public final class EncoderTiming {

    /** One forward over a prepared batch. */
    @FunctionalInterface
    public interface Forward {
        void run(TokenBatch batch) throws Exception;
    }

    /** Result of one measurement. */
    public record Result(String name, int batchSize, int sentences, double seconds) {
        public double sentencesPerSecond() {
            return sentences / seconds;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-22s batch %3d: %8.1f sentences/s (%d sentences in %.2f s)",
                    name, batchSize, sentencesPerSecond(), sentences, seconds);
        }
    }

    private EncoderTiming() {
    }

    /** Cuts sentences into batches of {@code size} (the last one may be smaller) and tokenizes them. */
    public static List<TokenBatch> batches(dev.spruce.model.tokenizer.WordPieceTokenizer tok, List<String> sentences,
                                           int size) {
        List<TokenBatch> out = new ArrayList<>();
        for (int i = 0; i < sentences.size(); i += size) {
            out.add(tok.batch(sentences.subList(i, Math.min(sentences.size(), i + size))));
        }
        return out;
    }

    /** Warms up for {@code warmupSeconds}, then times full passes over {@code batches} for at least {@code seconds}. */
    public static Result measure(String name, Forward f, List<TokenBatch> batches, double warmupSeconds,
                                 double seconds) throws Exception {
        int size = batches.get(0).batch();
        long end = System.nanoTime() + (long) (warmupSeconds * 1e9);
        while (System.nanoTime() < end) {
            for (TokenBatch b : batches) {
                f.run(b);
            }
        }
        int done = 0;
        long t0 = System.nanoTime();
        long stop = t0 + (long) (seconds * 1e9);
        do {
            for (TokenBatch b : batches) {
                f.run(b);
                done += b.batch();
            }
        } while (System.nanoTime() < stop);
        return new Result(name, size, done, (System.nanoTime() - t0) / 1e9);
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        int threads = Parallel.defaultThreadCount();
        List<String> eval = Corpus.evaluation();
        try (SentenceEncoder java = MiniLm.load(); OrtSentenceEncoder ort = OrtSentenceEncoder.miniLm(threads)) {
            System.out.println("Java backend: " + Backends.bestCpu(Op.GEMM, DType.F32) + "; ONNX Runtime "
                    + threads + " intra-op thread(s)");
            for (int size : new int[]{1, 32}) {
                List<String> sample = eval.subList(0, size == 1 ? 64 : 256);
                List<TokenBatch> batches = batches(java.tokenizer(), sample, size);
                double tokens = batches.stream().mapToInt(TokenBatch::realTokens).sum() / (double) sample.size();
                Result o = measure("ONNX Runtime", ort::embed, batches, seconds / 2, seconds);
                Result j = measure("Java dense", java::embed, batches, seconds / 2, seconds);
                System.out.printf(Locale.ROOT, "%s%n%s%n  mean %.1f tokens/sentence; Java takes %.2fx ONNX Runtime's time%n",
                        o, j, tokens, o.sentencesPerSecond() / j.sentencesPerSecond());
            }
        }
    }
}
