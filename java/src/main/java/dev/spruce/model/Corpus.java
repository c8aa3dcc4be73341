package dev.spruce.model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Sentence corpora, one sentence per line (blank lines skipped). The shipped corpus is public-domain
 * State of the Union sentences split into calibration and evaluation parts; see corpus/README.md.
 */
public final class Corpus {
    public static final String CALIBRATION_RESOURCE = "corpus/calib.txt";
    public static final String EVALUATION_RESOURCE = "corpus/eval.txt";

    private Corpus() {
    }

    /** The shipped calibration split (2,400 sentences). */
    public static List<String> calibration() throws ModelFormatException {
        return resource(CALIBRATION_RESOURCE);
    }

    /** The shipped evaluation split (1,200 sentences, from other addresses than calibration). */
    public static List<String> evaluation() throws ModelFormatException {
        return resource(EVALUATION_RESOURCE);
    }

    /** A corpus file; a missing or empty file is an error naming it. */
    public static List<String> load(Path file) throws ModelFormatException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("corpus file not found: " + file);
        } catch (ModelFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelFormatException("cannot read corpus " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<String> resource(String name) throws ModelFormatException {
        InputStream in = Corpus.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new ModelFormatException("corpus not found: class-path resource " + name);
        }
        try (in) {
            return read(in, "class-path resource " + name);
        } catch (ModelFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelFormatException("cannot read corpus " + name + ": " + e.getMessage(), e);
        }
    }

    private static List<String> read(InputStream in, String source) throws IOException {
        List<String> out = new ArrayList<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line = r.readLine(); line != null; line = r.readLine()) {
            String s = line.strip();
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        if (out.isEmpty()) {
            throw new ModelFormatException("corpus " + source + " is empty (no sentences)");
        }
        return List.copyOf(out);
    }
}
