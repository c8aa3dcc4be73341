package dev.spruce.cli;

import dev.spruce.cli.pipeline.ModelSource;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The dense model a command starts from: the embedded all-MiniLM-L6-v2 unless {@code --model} names an ONNX file. */
public final class ModelOptions {
    @Option(names = "--model", paramLabel = "FILE.onnx",
            description = "BERT-family ONNX encoder (default: the embedded all-MiniLM-L6-v2).")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "tokenizer.json",
            description = "Its tokenizer (default: tokenizer.json beside the model, else the embedded MiniLM's).")
    Path tokenizer;

    public ModelSource source() {
        return ModelSource.of(model, tokenizer);
    }
}
