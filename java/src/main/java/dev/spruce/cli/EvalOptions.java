package dev.spruce.cli;

import dev.spruce.model.Corpus;
import dev.spruce.model.ModelFormatException;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** Which sentences evaluate (and time): the shipped evaluation split unless a file is given. */
public final class EvalOptions {
    @Option(names = "--eval-sentences", paramLabel = "N", defaultValue = "300",
            description = "Evaluation sentences (default: ${DEFAULT-VALUE}).")
    int evalSentences;

    @Option(names = "--eval-corpus", paramLabel = "FILE",
            description = "Evaluation text, one sentence per line (default: the shipped evaluation split).")
    Path evalCorpus;

    public List<String> evaluation() throws ModelFormatException {
        return CorpusOptions.take(evalCorpus == null ? Corpus.evaluation() : Corpus.load(evalCorpus), evalSentences, 2,
                "--eval-sentences");
    }
}
