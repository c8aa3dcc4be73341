package dev.spruce.cli;

import dev.spruce.cli.pipeline.BlockModelPruner;
import dev.spruce.cli.pipeline.BlockPlan;
import dev.spruce.cli.pipeline.LayerType;
import dev.spruce.cli.pipeline.Method;
import dev.spruce.cli.pipeline.PrunePlan;
import dev.spruce.cli.pipeline.Sparsity;
import dev.spruce.prune.armor.ArmorConfig;
import dev.spruce.prune.armor.ArmorLoss;
import dev.spruce.prune.armor.ArmorStart;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** How to prune: method, pattern, per-type overrides and layers to skip. Validated in {@link #plan()}. */
public final class PlanOptions {
    @Option(names = "--method", paramLabel = "METHOD", defaultValue = "sparsegpt",
            description = "magnitude, wanda, nowag (NoWag-P), sparsegpt, armor (2:4 core between block-diagonal "
                    + "wrappers) or lpvit (block sparsity allocated across layers, see --block*) (default: ${DEFAULT-VALUE}).")
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

    @Option(names = "--armor-loss", paramLabel = "gram|diagonal",
            description = "ARMOR: loss to minimise: gram (full XᵀX, the true output error) or diagonal (the paper's) "
                    + "(default: from the defaults).")
    String armorLoss;

    @Option(names = "--armor-start", paramLabel = "sparsegpt|nowag",
            description = "ARMOR: starting 2:4 core: sparsegpt or nowag (the paper's NoWag-P).")
    String armorStart;

    @Option(names = "--armor-block", paramLabel = "BS", defaultValue = "0",
            description = "ARMOR: wrapper block size (power of two >= 4); 0 chooses it per layer from --armor-budget "
                    + "(default: ${DEFAULT-VALUE}).")
    int armorBlock;

    @Option(names = "--armor-budget", paramLabel = "FRACTION", defaultValue = "0.25",
            description = "ARMOR: wrapper multiply-adds allowed, as a fraction of the 2:4 core's (default: ${DEFAULT-VALUE}).")
    double armorBudget;

    @Option(names = "--armor-iterations", paramLabel = "N", description = "ARMOR: maximum iterations per layer.")
    Integer armorIterations;

    @Option(names = "--armor-lr", paramLabel = "LR", description = "ARMOR: Adam learning rate.")
    Double armorLr;

    @Option(names = "--armor-fixed-mask", description = "ARMOR: keep the starting 2:4 mask (no group re-selection).")
    boolean armorFixedMask;

    @Option(names = "--armor-faithful", description = "ARMOR: the paper's algorithm (NoWag-P start, diagonal loss, "
            + "lr 1e-4); other --armor-* options still apply on top.")
    boolean armorFaithful;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "0",
            description = "Seed of randomised methods (ARMOR's group sampling) (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--block", paramLabel = "HxW", defaultValue = "32x32",
            description = "lpvit: block shape, rows x columns (16, 32 or 64 each) (default: ${DEFAULT-VALUE}).")
    String block;

    @Option(names = "--block-budget", paramLabel = "FRACTION", defaultValue = "0.3",
            description = "lpvit: fraction of all blocks removed, allocated across layers (default: ${DEFAULT-VALUE}).")
    double blockBudget;

    @Option(names = "--block-latency", paramLabel = "FRACTION", defaultValue = "0",
            description = "lpvit: instead of --block-budget, allocate so the measured kernel time at --block-tokens "
                    + "is this fraction of dense (default: off).")
    double blockLatency;

    @Option(names = "--block-tokens", paramLabel = "N", defaultValue = "256",
            description = "lpvit: tokens per product for --block-latency (default: ${DEFAULT-VALUE}).")
    int blockTokens;

    @Option(names = "--block-scope", paramLabel = "all|ffn-attn-out", defaultValue = "all",
            description = "lpvit: prune all Linears, or only the FFN pair and attention output (default: ${DEFAULT-VALUE}).")
    String blockScope;

    @Option(names = "--no-refit", description = "lpvit: keep the kept blocks' weights as they are (no least-squares refit).")
    boolean noRefit;

    /** The block plan of --method lpvit. */
    public BlockPlan blockPlan() {
        int[] hw = blockShape(block);
        BlockModelPruner.Scope scope = switch (blockScope.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "all" -> BlockModelPruner.Scope.ALL;
            case "ffn-attn-out" -> BlockModelPruner.Scope.FFN_AND_ATTENTION_OUTPUT;
            default -> throw new IllegalArgumentException("--block-scope must be all or ffn-attn-out, got '" + blockScope + "'");
        };
        return new BlockPlan(hw[0], hw[1], blockBudget, blockLatency, blockTokens, scope, !noRefit, 0.05);
    }

    /** Parses a block shape "HxW" (e.g. 32x32, 32x64); both sides positive. */
    public static int[] blockShape(String s) {
        String[] p = s == null ? new String[0] : s.strip().toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            if (p.length == 2) {
                int h = Integer.parseInt(p[0]);
                int w = Integer.parseInt(p[1]);
                if (h > 0 && w > 0) {
                    return new int[] {h, w};
                }
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("block shape must be HxW with positive sides (e.g. 32x32), got '" + s + "'");
    }

    /** The ARMOR settings these options describe. */
    public ArmorConfig armorConfig() {
        ArmorConfig c = armorFaithful ? ArmorConfig.faithful() : ArmorConfig.defaults();
        if (armorLoss != null) {
            c = c.withLoss(ArmorLoss.parse(armorLoss));
        }
        if (armorStart != null) {
            c = c.withStart(ArmorStart.parse(armorStart));
        }
        if (armorIterations != null) {
            c = c.withIterations(armorIterations);
        }
        if (armorLr != null) {
            c = c.withLearningRate(armorLr);
        }
        return c.withBlockSize(armorBlock).withCostBudget(armorBudget).withDiscreteSteps(!armorFixedMask).withSeed(seed);
    }

    public PrunePlan plan() {
        Map<LayerType, Sparsity> per = new EnumMap<>(LayerType.class);
        if (attention != null) {
            per.put(LayerType.ATTENTION, Sparsity.parse(attention));
        }
        if (ffn != null) {
            per.put(LayerType.FFN, Sparsity.parse(ffn));
        }
        return new PrunePlan(Method.parse(method), Sparsity.parse(pattern), per, skip, armorConfig());
    }
}
