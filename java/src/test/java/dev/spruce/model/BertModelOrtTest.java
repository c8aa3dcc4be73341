package dev.spruce.model;

import dev.spruce.model.tokenizer.TokenBatch;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java forward against ONNX Runtime on the same model file and the same token ids. */
class BertModelOrtTest {
    static final double MIN_COSINE = 0.9999;

    static List<String> sentences(int n) throws Exception {
        List<String> eval = Corpus.evaluation();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(eval.get(i * 37 % eval.size()));
        }
        return out;
    }

    @Test
    void batchOfOneMatchesOnnxRuntimePerSentence() throws Exception {
        SentenceEncoder enc = Shared.encoder();
        OrtSentenceEncoder ort = Shared.ort();
        List<String> probe = new ArrayList<>(sentences(6));
        probe.add("Hello, world!");
        probe.add("Café déjà vu: naïve résumé — 東京 and Zürich?");
        for (String s : probe) {
            float[] j = enc.embed(s);
            float[] o = ort.embed(List.of(s))[0];
            double cos = Shared.cosine(j, o);
            assertTrue(cos >= MIN_COSINE, "cosine " + cos + " for: " + s);
            assertEquals(1.0, Shared.cosine(j, j), 1e-6);
        }
    }

    @Test
    void paddedBatchMatchesOnnxRuntimeAndBatchOfOne() throws Exception {
        SentenceEncoder enc = Shared.encoder();
        List<String> batch = new ArrayList<>(sentences(12));
        batch.add("Short one.");
        batch.add("Yes.");
        TokenBatch tb = enc.tokenizer().batch(batch);
        assertTrue(tb.seqLen() > tb.lengths()[tb.batch() - 1] + 10, "batch must really be padded");
        float[][] j = enc.model().embed(tb);
        float[][] o = Shared.ort().embed(tb);
        for (int i = 0; i < batch.size(); i++) {
            double cos = Shared.cosine(j[i], o[i]);
            assertTrue(cos >= MIN_COSINE, "cosine " + cos + " for: " + batch.get(i));
            // padding must not change a sentence's embedding
            double self = Shared.cosine(j[i], enc.embed(batch.get(i)));
            assertTrue(self >= 0.999999, "batched vs alone cosine " + self + " for: " + batch.get(i));
        }
    }

    @Test
    void clsPoolingMatchesOnnxRuntimeWithClsPooling() throws Exception {
        SentenceEncoder mean = Shared.encoder();
        SentenceEncoder cls = new SentenceEncoder(mean.tokenizer(), mean.model(), Pooling.CLS);
        List<String> batch = new ArrayList<>(sentences(5));
        batch.add("Yes.");
        TokenBatch tb = cls.tokenizer().batch(batch);
        try (OrtSentenceEncoder ort = new OrtSentenceEncoder(MiniLm.onnxBytes(), cls.tokenizer(), 1, Pooling.CLS)) {
            float[][] j = cls.embed(tb);
            float[][] o = ort.embed(tb);
            float[][] m = mean.embed(tb);
            for (int i = 0; i < batch.size(); i++) {
                double cos = Shared.cosine(j[i], o[i]);
                assertTrue(cos >= MIN_COSINE, "CLS cosine " + cos + " for: " + batch.get(i));
                // the [CLS] state is not the mean, so the two poolings must differ
                assertTrue(Shared.cosine(j[i], m[i]) < 0.999, "CLS and mean pooling agree for: " + batch.get(i));
            }
        }
    }

    @Test
    void hiddenStatesMatchOnnxRuntimeTokenByToken() throws Exception {
        SentenceEncoder enc = Shared.encoder();
        TokenBatch tb = enc.tokenizer().batch(List.of("The committee approved the budget on Tuesday.",
                "Peace is not merely the absence of war."));
        float[] h = enc.model().hiddenStates(tb, null);
        float[][][] o = Shared.ort().lastHiddenState(tb);
        int hid = enc.model().config().hiddenSize();
        int row = 0;
        for (int b = 0; b < tb.batch(); b++) {
            for (int t = 0; t < tb.lengths()[b]; t++, row++) {
                float[] mine = java.util.Arrays.copyOfRange(h, row * hid, (row + 1) * hid);
                double cos = Shared.cosine(mine, o[b][t]);
                assertTrue(cos >= MIN_COSINE, "token " + t + " of sentence " + b + ": cosine " + cos);
            }
        }
    }

    @Test
    void differentSentencesGiveDifferentEmbeddings() throws Exception {
        SentenceEncoder enc = Shared.encoder();
        float[][] e = enc.embed(List.of("The cat sat on the mat.", "A cat was sitting on a mat.",
                "Congress must pass the budget."));
        double near = Shared.cosine(e[0], e[1]);
        double far = Shared.cosine(e[0], e[2]);
        assertTrue(near > far + 0.3, "similar " + near + " vs unrelated " + far);
    }
}
