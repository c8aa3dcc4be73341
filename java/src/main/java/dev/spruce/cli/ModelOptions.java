package dev.spruce.cli;

import dev.spruce.cli.pipeline.ModelSource;
import dev.spruce.model.Pooling;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The dense model a command starts from: the embedded all-MiniLM-L6-v2 unless {@code --model} names an ONNX file. */
public final class ModelOptions {
    @Option(names = "--model", paramLabel = "FILE.onnx",
            description = "BERT-family ONNX encoder (default: the embedded all-MiniLM-L6-v2).")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "tokenizer.json",
            description = "Its tokenizer (default: tokenizer.json or NAME-tokenizer.json beside the model, else the "
                    + "embedded MiniLM's).")
    Path tokenizer;

    @Option(names = "--pooling", paramLabel = "mean|cls", converter = PoolingConverter.class,
            description = "How token states become the sentence embedding: mean (sentence-transformers models such as "
                    + "MiniLM and e5) or cls (BGE) (default: the packed file's when one is given, else mean).")
    Pooling pooling;

    public ModelSource source() {
        return ModelSource.of(model, tokenizer, pooling == null ? Pooling.MEAN : pooling);
    }

    /**
     * The source for comparing against a packed file that records {@code packed} pooling: the file's pooling unless
     * --pooling says otherwise, which is an error (the two sides would be pooled differently).
     */
    public ModelSource source(Pooling packed) {
        if (pooling != null && pooling != packed) {
            throw new IllegalArgumentException("--pooling " + pooling.label() + " differs from the packed model's "
                    + packed.label() + " pooling");
        }
        return ModelSource.of(model, tokenizer, packed);
    }

    static final class PoolingConverter implements CommandLine.ITypeConverter<Pooling> {
        @Override
        public Pooling convert(String value) {
            try {
                return Pooling.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
