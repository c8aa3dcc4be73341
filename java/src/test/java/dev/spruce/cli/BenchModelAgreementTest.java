package dev.spruce.cli;

import dev.spruce.cli.pipeline.Fidelity;
import dev.spruce.model.Corpus;
import dev.spruce.model.MiniLm;
import dev.spruce.model.OrtSentenceEncoder;
import dev.spruce.model.Pooling;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.model.Shared;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bench-model's check that the Java forward is the ONNX model: it passes when it is and fails when it is not. */
class BenchModelAgreementTest {
    @Test
    void agreesWithTheSamePoolingAndWarnsWithAnother() throws Exception {
        SentenceEncoder java = Shared.encoder();
        List<String> s = Corpus.evaluation().subList(0, 40); // two batches, the second one partial
        try (OrtSentenceEncoder same = new OrtSentenceEncoder(MiniLm.onnxBytes(), java.tokenizer(), 1, Pooling.MEAN);
             OrtSentenceEncoder other = new OrtSentenceEncoder(MiniLm.onnxBytes(), java.tokenizer(), 1, Pooling.CLS)) {
            Fidelity ok = BenchModelCommand.agreement(java, same, s);
            assertEquals(40, ok.sentences());
            assertTrue(ok.worstCosine() >= 0.9999, "worst " + ok.worstCosine());
            Fidelity wrong = BenchModelCommand.agreement(java, other, s);
            assertTrue(wrong.worstCosine() < BenchModelCommand.AGREEMENT, "worst " + wrong.worstCosine());
        }
    }
}
