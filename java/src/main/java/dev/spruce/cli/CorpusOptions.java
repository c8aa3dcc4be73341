package dev.spruce.cli;

import dev.spruce.model.Corpus;
import dev.spruce.model.ModelFormatException;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** Which sentences calibrate (the shipped calibration split unless a file is given), and the batch size. */
public final class CorpusOptions {
    @Option(names = "--calib-sentences", paramLabel = "N", defaultValue = "256",
            description = "Calibration sentences (default: ${DEFAULT-VALUE}).")
    int calibSentences;

    @Option(names = "--calib-corpus", paramLabel = "FILE",
            description = "Calibration text, one sentence per line (default: the shipped calibration split).")
    Path calibCorpus;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "32",
            description = "Sentences per forward pass while calibrating and evaluating (default: ${DEFAULT-VALUE}).")
    int batch;

    public List<String> calibration() throws ModelFormatException {
        return take(calibCorpus == null ? Corpus.calibration() : Corpus.load(calibCorpus), calibSentences, 1, "--calib-sentences");
    }

    /**
     * Up to {@code n} held-out sentences for probing (block-sparsity curve weights): those after the calibration
     * sentences in the same corpus, or, when the corpus has no more, its last {@code n} calibration sentences.
     */
    public List<String> probe(int n) throws ModelFormatException {
        List<String> all = calibCorpus == null ? Corpus.calibration() : Corpus.load(calibCorpus);
        int used = Math.min(calibSentences, all.size());
        if (all.size() - used >= n) {
            return all.subList(used, used + n);
        }
        return all.subList(Math.max(0, used - n), used);
    }

    public int batch() {
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        }
        return batch;
    }

    static List<String> take(List<String> all, int n, int min, String option) {
        if (n < min) {
            throw new IllegalArgumentException(option + " must be >= " + min + ", got " + n);
        }
        if (all.size() < min) {
            throw new IllegalArgumentException("the corpus has " + all.size() + " sentence(s), " + option + " needs at least " + min);
        }
        return all.subList(0, Math.min(n, all.size()));
    }
}
