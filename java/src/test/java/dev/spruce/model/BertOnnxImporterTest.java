package dev.spruce.model;

import dev.spruce.model.onnx.OnnxGraph;
import dev.spruce.model.onnx.OnnxTensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

class BertOnnxImporterTest {

    @Test
    void configIsReadFromTheGraph() throws Exception {
        BertConfig c = Shared.encoder().model().config();
        assertEquals(384, c.hiddenSize());
        assertEquals(12, c.heads());
        assertEquals(32, c.headDim());
        assertEquals(6, c.layers());
        assertEquals(1536, c.intermediateSize());
        assertEquals(30522, c.vocabSize());
        assertEquals(512, c.maxPositions());
        assertEquals(2, c.typeVocabSize());
        assertEquals(1e-12f, c.layerNormEps());
        assertEquals(Activation.GELU_ERF, c.activation());
    }

    @Test
    void linearsAreNamedByTheirMatMulNodesAndTransposed() throws Exception {
        List<Linear> all = Shared.encoder().model().linears();
        assertEquals(36, all.size());
        assertEquals("encoder.layer.0.attention.self.query", all.get(0).name());
        assertEquals("encoder.layer.0.attention.output.dense", all.get(3).name());
        assertEquals("encoder.layer.5.output.dense", all.get(35).name());
        DenseLinear ffnIn = (DenseLinear) all.get(4);
        assertEquals(1536, ffnIn.outFeatures());
        assertEquals(384, ffnIn.inFeatures());

        // The weight of layer 0's intermediate dense is the unnamed initializer feeding its MatMul, [in, out].
        OnnxGraph g = Shared.graph();
        String init = g.nodes().stream().filter(n -> n.name().equals("/encoder/layer.0/intermediate/dense/MatMul"))
                .findFirst().orElseThrow().input(1);
        OnnxTensor w = g.initializer(init);
        assertNotNull(w);
        float[] v = w.floats();
        for (int[] io : new int[][]{{0, 0}, {5, 1000}, {383, 1535}, {200, 7}}) {
            assertEquals(v[io[0] * 1536 + io[1]], ffnIn.weight().get(io[1], io[0]), 0f);
        }
        float[] bias = g.initializer("encoder.layer.0.intermediate.dense.bias").floats();
        assertEquals(bias[17], ffnIn.bias()[17], 0f);
    }
}
