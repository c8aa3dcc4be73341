package dev.spruce.cli.pipeline;

import dev.spruce.prune.armor.ArmorConfig;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which sparsity each Linear gets: a default pattern, optional per-type overrides (attention / FFN), and
 * skip patterns naming layers to keep dense. A skip pattern with '*' or '?' is a glob over the whole layer
 * name; without, it matches any layer whose name contains it (so "attention" keeps every attention
 * projection dense and "layer.5." the last layer).
 */
public record PrunePlan(Method method, Sparsity defaultSparsity, Map<LayerType, Sparsity> perType, List<String> skip,
                        ArmorConfig armor) {

    /** A plan with the default ARMOR settings (they matter only when the method is ARMOR). */
    public PrunePlan(Method method, Sparsity defaultSparsity, Map<LayerType, Sparsity> perType, List<String> skip) {
        this(method, defaultSparsity, perType, skip, ArmorConfig.defaults());
    }

    public PrunePlan {
        if (armor == null) {
            armor = ArmorConfig.defaults();
        }
        if (method == null || defaultSparsity == null) {
            throw new IllegalArgumentException("a prune plan needs a method and a default sparsity");
        }
        perType = Map.copyOf(perType == null ? Map.of() : perType);
        skip = List.copyOf(skip == null ? List.of() : skip);
        for (String s : skip) {
            if (s.isBlank()) {
                throw new IllegalArgumentException("empty --skip pattern");
            }
        }
    }

    /** Every layer at one pattern. */
    public static PrunePlan uniform(Method method, Sparsity sparsity) {
        return new PrunePlan(method, sparsity, Map.of(), List.of());
    }

    /** The same, with the attention projections kept dense. */
    public PrunePlan attentionDense() {
        Map<LayerType, Sparsity> m = new EnumMap<>(LayerType.class);
        m.putAll(perType);
        m.put(LayerType.ATTENTION, Sparsity.DENSE);
        return new PrunePlan(method, defaultSparsity, m, skip, armor);
    }

    /** The same plan with other ARMOR settings. */
    public PrunePlan withArmor(ArmorConfig config) {
        return new PrunePlan(method, defaultSparsity, perType, skip, config);
    }

    public Sparsity sparsityFor(String linearName) {
        for (String s : skip) {
            if (matches(s, linearName)) {
                return Sparsity.DENSE;
            }
        }
        return perType.getOrDefault(LayerType.of(linearName), defaultSparsity);
    }

    static boolean matches(String pattern, String name) {
        if (pattern.indexOf('*') < 0 && pattern.indexOf('?') < 0) {
            return name.contains(pattern);
        }
        StringBuilder re = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            re.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return name.matches(re.toString());
    }

    /** The method's name for tables: "sparsegpt", "armor bs auto", "armor bs 32". */
    public String methodName() {
        if (method != Method.ARMOR) {
            return method.id();
        }
        return "armor bs " + (armor.blockSize() == 0 ? "auto" : String.valueOf(armor.blockSize()));
    }

    /** A short label for tables: "sparsegpt 2:4", "sparsegpt 2:4, attention dense". */
    public String label() {
        List<String> parts = new ArrayList<>();
        parts.add((method == Method.ARMOR ? armor.describe() : method.id()) + " " + defaultSparsity);
        for (LayerType t : LayerType.values()) {
            if (perType.containsKey(t)) {
                parts.add(t.name().toLowerCase(java.util.Locale.ROOT) + " " + perType.get(t));
            }
        }
        if (!skip.isEmpty()) {
            parts.add("skip " + String.join("|", skip));
        }
        return String.join(", ", parts);
    }
}
