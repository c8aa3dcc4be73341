package dev.spruce.cli.pipeline;

import dev.spruce.prune.Pattern;

import java.util.List;

/**
 * What a layer becomes: kept dense, or pruned to an N:M pattern. Parses the CLI spelling ("dense", "2:4",
 * "1:4", "2:8", "4:8").
 */
public record Sparsity(Pattern.NM pattern) {
    /** The N:M patterns the CLI accepts. Only 2:4 has a packed layout (Sparse24); the others are stored dense with zeros. */
    public static final List<String> PATTERNS = List.of("2:4", "1:4", "2:8", "4:8");
    public static final Sparsity DENSE = new Sparsity(null);

    public boolean dense() {
        return pattern == null;
    }

    /** True when the pruned layer can be packed into {@link dev.spruce.layout.Sparse24} (exactly 2:4). */
    public boolean packs24() {
        return pattern != null && pattern.n() == 2 && pattern.m() == 4;
    }

    public static Sparsity parse(String s) {
        String key = s == null ? "" : s.strip();
        if (key.equalsIgnoreCase("dense")) {
            return DENSE;
        }
        if (!PATTERNS.contains(key)) {
            throw new IllegalArgumentException("unknown sparsity '" + s + "' (choose dense, " + String.join(", ", PATTERNS) + ")");
        }
        String[] p = key.split(":");
        return new Sparsity(Pattern.nm(Integer.parseInt(p[0]), Integer.parseInt(p[1])));
    }

    @Override
    public String toString() {
        return dense() ? "dense" : pattern.toString();
    }
}
