package dev.spruce.cli;

import dev.spruce.cli.pipeline.LayerType;
import dev.spruce.cli.pipeline.Method;
import dev.spruce.cli.pipeline.PrunePlan;
import dev.spruce.cli.pipeline.Sparsity;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** How to prune: method, pattern, per-type overrides and layers to skip. Validated in {@link #plan()}. */
public final class PlanOptions {
    @Option(names = "--method", paramLabel = "METHOD", defaultValue = "sparsegpt",
            description = "magnitude, wanda, nowag (NoWag-P) or sparsegpt (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--pattern", paramLabel = "N:M", defaultValue = "2:4",
            description = "2:4 (packed, fast), 1:4, 2:8 or 4:8 (kept dense with zeros) (default: ${DEFAULT-VALUE}).")
    String pattern;

    @Option(names = "--attention", paramLabel = "dense|N:M",
            description = "Sparsity of the attention projections (query, key, value, output); default: --pattern.")
    String attention;

    @Option(names = "--ffn", paramLabel = "dense|N:M",
            description = "Sparsity of the feed-forward projections (intermediate, output); default: --pattern.")
    String ffn;

    @Option(names = "--skip", paramLabel = "PATTERN", split = ",",
            description = "Keep matching layers dense: a substring of the layer name, or a glob with * and ? "
                    + "(e.g. 'attention', 'layer.5.', '*.query'). Repeatable.")
    List<String> skip = new ArrayList<>();

    public PrunePlan plan() {
        Map<LayerType, Sparsity> per = new EnumMap<>(LayerType.class);
        if (attention != null) {
            per.put(LayerType.ATTENTION, Sparsity.parse(attention));
        }
        if (ffn != null) {
            per.put(LayerType.FFN, Sparsity.parse(ffn));
        }
        return new PrunePlan(Method.parse(method), Sparsity.parse(pattern), per, skip);
    }
}
