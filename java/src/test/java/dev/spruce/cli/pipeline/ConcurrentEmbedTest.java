package dev.spruce.cli.pipeline;

import dev.spruce.model.Corpus;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.model.Shared;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * A server embeds from many threads at once with one model: results must be the bits a lone caller gets, for the
 * dense model and for a 2:4 one (whose many-token kernel builds its repacked layer copy on first use, possibly
 * from two threads at the same time).
 */
class ConcurrentEmbedTest {
    private static final int THREADS = 4;

    @Test
    void denseAndTwoFourModelsGiveTheSameBitsFromManyThreads() throws Exception {
        SentenceEncoder dense = Shared.encoder();
        PrunePlan plan = new PrunePlan(Method.MAGNITUDE, Sparsity.parse("2:4"), Map.of(), List.of());
        try (SentenceEncoder sparse = dense.with(ModelPruner.prune(dense.model(), Map.of(), plan, Progress.none()).model())) {
            check(dense);
            check(sparse);
        }
    }

    private static void check(SentenceEncoder enc) throws Exception {
        List<String> s = Corpus.evaluation().subList(0, 24);
        List<String> batch = s.subList(0, 12);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<float[][][]>> runs = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                runs.add(pool.submit(() -> {
                    float[][] one = new float[s.size()][];
                    for (int i = 0; i < s.size(); i++) {
                        one[i] = enc.embed(s.get(i));
                    }
                    return new float[][][] {one, enc.embed(batch)};
                }));
            }
            List<float[][][]> got = new ArrayList<>();
            for (Future<float[][][]> f : runs) {
                got.add(f.get());
            }
            // The lone caller, after the concurrent runs (so the first use above was the concurrent one).
            float[][] wantBatch = enc.embed(batch);
            for (float[][][] g : got) {
                for (int i = 0; i < s.size(); i++) {
                    assertArrayEquals(enc.embed(s.get(i)), g[0][i], "sentence " + i);
                }
                for (int i = 0; i < batch.size(); i++) {
                    assertArrayEquals(wantBatch[i], g[1][i], "batched sentence " + i);
                }
            }
        } finally {
            pool.shutdown();
        }
    }
}
