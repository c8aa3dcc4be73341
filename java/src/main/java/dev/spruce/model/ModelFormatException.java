package dev.spruce.model;

import java.io.IOException;

/**
 * A model or tokenizer file that cannot be used: missing, truncated, corrupt, an unsupported feature
 * (external data, an unknown dtype) or a graph that is not a BERT encoder. The message is one line that
 * names the file and the problem, so a command-line tool can print it as it is.
 */
public class ModelFormatException extends IOException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
