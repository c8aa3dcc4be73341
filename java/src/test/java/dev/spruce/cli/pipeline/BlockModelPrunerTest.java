package dev.spruce.cli.pipeline;

import dev.spruce.calib.LayerStats;
import dev.spruce.model.BertModel;
import dev.spruce.model.Corpus;
import dev.spruce.model.DenseLinear;
import dev.spruce.model.Linear;
import dev.spruce.model.MiniLm;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.prune.alloc.LayerCurve;
import dev.spruce.prune.alloc.ProxyCurves;
import dev.spruce.prune.alloc.SparsityAllocator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The block pipeline on a tiny random BERT with the real tokenizer: calibrate, curves, allocate, prune (fast). */
class BlockModelPrunerTest {

    @Test
    void calibratesAllocatesAndPrunesWithRefit() throws Exception {
        BertModel tiny = TinyBert.create(64, 4, 128, 2, 3, 30522, 128);
        try (SentenceEncoder dense = new SentenceEncoder(MiniLm.tokenizer(), tiny)) {
            List<String> calib = Corpus.calibration().subList(0, 24);
            List<String> probe = Corpus.calibration().subList(24, 32);
            Map<String, LayerStats> stats = ModelPruner.calibrate(dense, calib, 8, Progress.none());
            BlockModelPruner.Analysis a = BlockModelPruner.analyse(tiny, stats, 16, 16, BlockModelPruner.Scope.ALL, 0.01, 2);
            assertEquals(12, a.layers().size());
            assertEquals(6, BlockModelPruner.analyse(tiny, stats, 16, 16, BlockModelPruner.Scope.FFN_AND_ATTENTION_OUTPUT,
                    0.01, 2).layers().size());
            double[] grid = ProxyCurves.grid(0.25, 0.75);
            List<LayerCurve> proxy = BlockModelPruner.proxyCurves(a, grid, true);
            List<LayerCurve> output = BlockModelPruner.outputCurves(a, dense, probe, 8, grid, true, Progress.none());
            List<LayerCurve> weighted = BlockModelPruner.weightedProxyCurves(a, proxy, dense, probe, 8, 0.5, true);
            for (List<LayerCurve> curves : List.of(proxy, output, weighted)) {
                assertEquals(12, curves.size());
                SparsityAllocator.Allocation alloc = BlockModelPruner.allocate(curves, 0.5, 0.1);
                Map<String, Double> sp = BlockModelPruner.sparsities(alloc);
                assertTrue(a.removedFraction(sp) >= 0.5 - 1e-12, "budget met: " + a.removedFraction(sp));
                sp.values().forEach(p -> assertTrue(p <= 0.9 + 1e-12, "minimum kept fraction: " + p));
            }
            for (LayerCurve c : output) {
                assertEquals(0.0, c.distortion()[0]);
                assertTrue(c.distortion()[grid.length - 1] > 0, c.name());
            }

            Map<String, Double> uniform = BlockModelPruner.uniform(a, 0.5);
            BlockModelPruner.Outcome refit = BlockModelPruner.prune(dense, a, uniform, true);
            BlockModelPruner.Outcome plain = BlockModelPruner.prune(dense, a, uniform, false);
            try (BertModel rm = refit.model(); BertModel pm = plain.model()) {
                assertEquals(12, refit.layers().size());
                assertEquals(0.5, refit.removedFraction(), 1e-12);
                assertTrue(refit.meanLoss() < plain.meanLoss(), refit.meanLoss() + " vs " + plain.meanLoss());
                for (Linear l : rm.linears()) {
                    DenseLinear d = (DenseLinear) l;
                    float[] w = d.weight().toFloatArray();
                    int k = d.inFeatures();
                    int zeroBlocks = 0;
                    for (int br = 0; br < d.outFeatures() / 16; br++) {
                        for (int bc = 0; bc < k / 16; bc++) {
                            boolean zero = true;
                            for (int r = 0; r < 16 && zero; r++) {
                                for (int c = 0; c < 16 && zero; c++) {
                                    zero = w[(br * 16 + r) * k + bc * 16 + c] == 0f;
                                }
                            }
                            zeroBlocks += zero ? 1 : 0;
                        }
                    }
                    assertEquals((d.outFeatures() / 16) * (k / 16) / 2, zeroBlocks, l.name());
                }
                float[][] ref = dense.embed(probe, 8);
                float[][] got = dense.with(rm).embed(probe, 8);
                Fidelity fr = Fidelity.compare(ref, got);
                assertTrue(fr.meanCosine() > 0 && fr.meanCosine() < 1, fr.toString());
                // packed into BlockSparse: same embeddings up to summation order
                BlockModelPruner.Outcome packed = BlockModelPruner.prune(dense, a, uniform, true, true);
                try (BertModel bm = packed.model()) {
                    assertTrue(bm.linears().stream().allMatch(l -> l.kind().equals("block")));
                    float[][] pe = dense.with(bm).embed(probe, 8);
                    for (int i = 0; i < got.length; i++) {
                        assertTrue(Fidelity.cosine(got[i], pe[i]) > 0.9999, "sentence " + i);
                    }
                }
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BlockModelPruner.analyse(tiny, stats, 48, 16, BlockModelPruner.Scope.ALL, 0.01, 2));
            assertTrue(e.getMessage().contains("encoder.layer.0.attention.self.query"), e.getMessage());
        }
    }
}
