package dev.spruce.model;

import dev.spruce.calib.LayerStats;
import dev.spruce.model.tokenizer.TokenBatch;
import dev.spruce.tensor.Matrix;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Runs calibration text through a model and collects every Linear's input statistics ({@link LayerStats}),
 * real tokens only. Layers fed the very same input matrix in a row (query, key and value) share one
 * accumulation, copied out under each name at the end, so their Gram matrix is computed once, not three times.
 */
public final class Calibrator {
    private Calibrator() {
    }

    /**
     * @param fullGram   true for the K x K Gram (SparseGPT, proxy loss), false for its diagonal (Wanda, NoWag-P)
     * @param batchSize  sentences per forward
     * @param progress   told the number of sentences done after each batch (may be null)
     * @return stats per layer name, in forward order
     */
    public static Map<String, LayerStats> collect(SentenceEncoder encoder, List<String> sentences, boolean fullGram,
                                                  int batchSize, IntConsumer progress) {
        if (sentences.isEmpty()) {
            throw new IllegalArgumentException("calibration needs at least one sentence");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        BertModel model = encoder.model();
        Map<String, LayerStats> own = new LinkedHashMap<>();   // accumulators, keyed by their first layer
        Map<String, String> alias = new LinkedHashMap<>();     // every layer -> the accumulator it uses
        for (int i = 0; i < sentences.size(); i += batchSize) {
            TokenBatch batch = encoder.tokenizer().batch(sentences.subList(i, Math.min(sentences.size(), i + batchSize)));
            Matrix[] last = new Matrix[1];
            String[] lastLayer = new String[1];
            model.embed(batch, (name, x) -> {
                boolean shared = x == last[0];
                String target = alias.computeIfAbsent(name, n -> shared ? alias.get(lastLayer[0]) : n);
                if (shared != !target.equals(name)) {
                    throw new IllegalStateException("layer " + name + " changed whether it shares its input");
                }
                if (!shared) {
                    own.computeIfAbsent(target, n -> fullGram ? LayerStats.full(n, x.cols())
                            : LayerStats.diagonalOnly(n, x.cols())).accumulate(x);
                }
                last[0] = x;
                lastLayer[0] = name;
            });
            if (progress != null) {
                progress.accept(Math.min(sentences.size(), i + batchSize));
            }
        }
        Map<String, LayerStats> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : alias.entrySet()) {
            LayerStats src = own.get(e.getValue());
            out.put(e.getKey(), e.getKey().equals(e.getValue()) ? src : copy(src, e.getKey(), fullGram));
        }
        return out;
    }

    private static LayerStats copy(LayerStats s, String name, boolean full) {
        return full ? LayerStats.ofGram(name, s.gram(), s.k(), s.tokens())
                : LayerStats.ofDiagonal(name, s.diagonal(), s.tokens());
    }
}
