package dev.spruce.model;

import dev.spruce.calib.LayerStats;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Sparse24LinearAndCalibratorTest {

    /** Keeps the 2 largest |w| of every group of 4 along the input axis (magnitude 2:4), as a dense copy. */
    static Matrix magnitude24(Matrix w) {
        float[] a = w.toFloatArray();
        int k = w.cols();
        for (int base = 0; base < a.length; base += 4) {
            int drop1 = -1;
            int drop2 = -1;
            for (int p = 0; p < 4; p++) {
                float v = Math.abs(a[base + p]);
                if (drop1 < 0 || v < Math.abs(a[base + drop1])) {
                    drop2 = drop1;
                    drop1 = p;
                } else if (drop2 < 0 || v < Math.abs(a[base + drop2])) {
                    drop2 = p;
                }
            }
            a[base + drop1] = 0f;
            a[base + drop2] = 0f;
        }
        return Matrix.of(a, w.rows(), k);
    }

    @Test
    void sparse24LinearEqualsDenseLinearOnThePrunedWeights() throws Exception {
        SentenceEncoder enc = Shared.encoder();
        List<Matrix> pruned = new ArrayList<>();
        BertModel denseLike = enc.model().withLinears(l -> {
            Matrix p = magnitude24(((DenseLinear) l).weight());
            pruned.add(p);
            return new DenseLinear(l.name(), p.convert(DType.F32), ((DenseLinear) l).bias());
        });
        BertModel sparse = enc.model().withLinears(l -> Sparse24Linear.pack(l.name(),
                magnitude24(((DenseLinear) l).weight()), ((DenseLinear) l).bias(), DType.F32));
        try (denseLike; sparse) {
            assertEquals("sparse24", sparse.linears().get(7).kind());
            assertTrue(sparse.linears().get(7).bytes() < enc.model().linears().get(7).bytes());
            List<String> s = List.of("The Congress shall have power to lay and collect taxes.", "Short.");
            float[][] a = enc.with(denseLike).embed(s);
            float[][] b = enc.with(sparse).embed(s);
            float[][] full = enc.embed(s);
            for (int i = 0; i < s.size(); i++) {
                assertTrue(Shared.cosine(a[i], b[i]) > 0.99999, "2:4 layout vs dense of the same weights");
                assertTrue(Shared.cosine(full[i], b[i]) < 0.9999, "pruning must change the embedding");
            }
        } finally {
            pruned.forEach(Matrix::close);
        }
        assertThrows(IllegalArgumentException.class, () -> new Sparse24Linear("x",
                dev.spruce.layout.Sparse24.pack(Matrix.allocate(4, 8, DType.F32), DType.F32), new float[3]));
    }

    @Test
    void calibratorCollectsEveryLayerOnRealTokensAndSharesQkv() throws Exception {
        SentenceEncoder enc = Shared.encoder();
        List<String> text = Corpus.calibration().subList(0, 5);
        int tokens = 0;
        for (String t : text) {
            tokens += enc.tokenizer().encode(t).length;
        }
        int[] progress = new int[1];
        Map<String, LayerStats> diag = Calibrator.collect(enc, text, false, 2, n -> progress[0] = n);
        assertEquals(5, progress[0]);
        assertEquals(36, diag.size());
        assertEquals(enc.model().linears().stream().map(Linear::name).toList(), List.copyOf(diag.keySet()));
        for (Map.Entry<String, LayerStats> e : diag.entrySet()) {
            assertEquals(tokens, e.getValue().tokens(), e.getKey());
            assertEquals(e.getKey(), e.getValue().name());
        }
        assertArrayEquals(diag.get("encoder.layer.0.attention.self.query").diagonal(),
                diag.get("encoder.layer.0.attention.self.value").diagonal());
        assertEquals(1536, diag.get("encoder.layer.4.output.dense").k());

        Map<String, LayerStats> full = Calibrator.collect(enc, text.subList(0, 2), true, 8, null);
        LayerStats k = full.get("encoder.layer.1.attention.self.key");
        assertTrue(k.hasGram());
        assertEquals(384, k.k());
        assertThrows(IllegalArgumentException.class, () -> Calibrator.collect(enc, List.of(), false, 4, null));
    }
}
