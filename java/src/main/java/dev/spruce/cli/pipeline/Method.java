package dev.spruce.cli.pipeline;

import dev.spruce.prune.MagnitudePruner;
import dev.spruce.prune.NoWagPruner;
import dev.spruce.prune.Pruner;
import dev.spruce.prune.SparseGptPruner;
import dev.spruce.prune.WandaPruner;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** The pruning methods the CLI offers, by the names users type. */
public enum Method {
    MAGNITUDE("magnitude", MagnitudePruner::new),
    WANDA("wanda", WandaPruner::new),
    NOWAG("nowag", NoWagPruner::new),
    SPARSEGPT("sparsegpt", SparseGptPruner::new),
    /** A factorisation, not a {@link Pruner}: {@code ModelPruner} runs {@code ArmorFactorizer} with the plan's settings. */
    ARMOR("armor", null),
    /** LPViT block sparsity allocated across layers: a {@link BlockPlan}, not a per-layer pattern. */
    LPVIT("lpvit", null);

    private final String id;
    private final Supplier<Pruner> factory;

    Method(String id, Supplier<Pruner> factory) {
        this.id = id;
        this.factory = factory;
    }

    public String id() {
        return id;
    }

    /** Whether the method replaces W by a factorisation (ARMOR) rather than a masked matrix. */
    public boolean factorizes() {
        return this == ARMOR;
    }

    /** Whether the method is block sparsity allocated across the model (run through {@link BlockPlan}). */
    public boolean blocks() {
        return this == LPVIT;
    }

    /** A fresh pruner (pruners hold per-run kernels and thread settings, so none is shared). */
    public Pruner pruner() {
        if (factory == null) {
            throw new IllegalStateException(id + " is not a per-layer mask pruner");
        }
        return factory.get();
    }

    /** Parses a user's method name ("nowag-p" is accepted for NoWag); unknown names are named in the error. */
    public static Method parse(String s) {
        String key = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
        if (key.equals("nowag-p")) {
            return NOWAG;
        }
        if (key.equals("block") || key.equals("blocks")) {
            return LPVIT;
        }
        for (Method m : values()) {
            if (m.id.equals(key)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + s + "' (choose " + names() + ")");
    }

    public static String names() {
        return Arrays.stream(values()).map(Method::id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id;
    }
}
