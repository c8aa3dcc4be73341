package dev.spruce.model.onnx;

import dev.spruce.model.Activation;
import dev.spruce.model.BertConfig;
import dev.spruce.model.BertModel;
import dev.spruce.model.BertOnnxImporter;
import dev.spruce.model.DenseLinear;
import dev.spruce.model.ModelFormatException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small BERT-shaped graph with other sizes than MiniLM (hidden 8, 2 heads, 3 layers, FFN 12, vocab 10,
 * 7 positions, eps 1e-5, tanh GELU): the importer must read every one of them from the file.
 */
class SyntheticBertImportTest {
    static final int H = 8;
    static final int HEADS = 2;
    static final int LAYERS = 3;
    static final int FFN = 12;
    static final int VOCAB = 10;
    static final int POS = 7;
    static final String[] ROLES = {"attention/self/query", "attention/self/key", "attention/self/value",
            "attention/output/dense", "intermediate/dense", "output/dense"};

    private final List<ProtoWriter> nodes = new ArrayList<>();
    private final List<ProtoWriter> inits = new ArrayList<>();
    private int counter;

    private static ProtoWriter node(String name, String op, String[] in, String out) {
        ProtoWriter n = new ProtoWriter();
        for (String i : in) {
            n.string(1, i);
        }
        return n.string(2, out).string(3, name).string(4, op);
    }

    private void add(String name, String op, String out, String... in) {
        nodes.add(node(name, op, in, out));
    }

    private String init(String name, int dataType, long[] dims, byte[] raw) {
        ProtoWriter t = new ProtoWriter();
        for (long d : dims) {
            t.varint(1, d);
        }
        inits.add(t.varint(2, dataType).string(8, name).bytes(9, raw));
        return name;
    }

    private String floats(String name, long... dims) {
        int n = 1;
        for (long d : dims) {
            n *= (int) d;
        }
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat((counter * 31 + i) % 17 * 0.01f);
        }
        counter++;
        return init(name, OnnxTensor.FLOAT, dims, b.array());
    }

    private String scalar(String name, float v) {
        return init(name, OnnxTensor.FLOAT, new long[0],
                ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
    }

    private String int64(String name, long v) {
        return init(name, OnnxTensor.INT64, new long[]{1},
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    private String layerNorm(String scope, String x, String gammaName, String betaName) {
        add(scope + "/ReduceMean", "ReduceMean", scope + "/rm", x);
        add(scope + "/Sub", "Sub", scope + "/sub", x, scope + "/rm");
        add(scope + "/ReduceMean_1", "ReduceMean", scope + "/var", scope + "/sub");
        add(scope + "/Add", "Add", scope + "/ve", scope + "/var", scalar(scope + "/eps", 1e-5f));
        add(scope + "/Div", "Div", scope + "/div", scope + "/sub", scope + "/ve");
        add(scope + "/Mul", "Mul", scope + "/mul", scope + "/div", floats(gammaName, H));
        add(scope + "/Add_1", "Add", scope + "/out", scope + "/mul", floats(betaName, H));
        return scope + "/out";
    }

    byte[] build(boolean dropLastOutput) {
        add("/embeddings/word_embeddings/Gather", "Gather", "we", floats("word", VOCAB, H), "input_ids");
        add("/embeddings/token_type_embeddings/Gather", "Gather", "te", floats("type", 2, H), "token_type_ids");
        add("/embeddings/position_embeddings/Gather", "Gather", "pe", floats("pos", POS, H), "position_ids");
        String x = layerNorm("/embeddings/LayerNorm", "we", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias");
        int w = 900;
        for (int l = 0; l < LAYERS; l++) {
            String scope = "/encoder/layer." + l + "/";
            String[] outs = new String[ROLES.length];
            for (int r = 0; r < ROLES.length; r++) {
                if (dropLastOutput && l == LAYERS - 1 && r == 5) {
                    continue;
                }
                int in = r == 5 ? FFN : H;
                int out = r == 4 ? FFN : H;
                String mm = scope + ROLES[r] + "/MatMul";
                add(mm, "MatMul", mm + "_out", x, floats("onnx::MatMul_" + (w++), in, out));
                add(scope + ROLES[r] + "/Add", "Add", scope + ROLES[r] + "/Add_out",
                        floats(("encoder.layer." + l + "." + ROLES[r] + ".bias").replace('/', '.'), out), mm + "_out");
                outs[r] = scope + ROLES[r] + "/Add_out";
            }
            add(scope + "attention/self/Concat", "Concat", scope + "shape", "a", "b",
                    int64(scope + "heads", HEADS), int64(scope + "hd", H / HEADS));
            add(scope + "attention/self/MatMul", "MatMul", scope + "qk", outs[0], outs[1]);
            add(scope + "attention/self/Div", "Div", scope + "scaled", scope + "qk", scalar(scope + "scale", 2f));
            x = layerNorm(scope + "attention/output/LayerNorm", outs[3], "g" + l + "a", "b" + l + "a");
            add(scope + "intermediate/intermediate_act_fn/Tanh", "Tanh", scope + "tanh", outs[4]);
            x = layerNorm(scope + "output/LayerNorm", outs[4], "g" + l + "o", "b" + l + "o");
        }
        ProtoWriter graph = new ProtoWriter();
        nodes.forEach(n -> graph.message(1, n));
        inits.forEach(t -> graph.message(5, t));
        graph.message(11, new ProtoWriter().string(1, "input_ids"));
        return new ProtoWriter().varint(1, 8).message(7, graph).toBytes();
    }

    @Test
    void everySizeComesFromTheFile() throws Exception {
        OnnxGraph g = OnnxReader.parse(ByteBuffer.wrap(build(false)), "tiny-bert.onnx");
        try (BertModel m = BertOnnxImporter.load(g)) {
            BertConfig c = m.config();
            assertEquals(new BertConfig(H, HEADS, LAYERS, FFN, VOCAB, POS, 2, 1e-5f, Activation.GELU_TANH), c);
            assertEquals(6 * LAYERS, m.linears().size());
            DenseLinear ffnOut = (DenseLinear) m.linears().get(5);
            assertEquals("encoder.layer.0.output.dense", ffnOut.name());
            assertEquals(H, ffnOut.outFeatures());
            assertEquals(FFN, ffnOut.inFeatures());
            float[] onnx = g.initializer("onnx::MatMul_905").floats(); // layer 0 output dense, [FFN, H]
            for (int i = 0; i < FFN; i++) {
                for (int o = 0; o < H; o++) {
                    assertEquals(onnx[i * H + o], ffnOut.weight().get(o, i), 0f);
                }
            }
        }
    }

    @Test
    void aMissingProjectionIsNamed() throws Exception {
        OnnxGraph g = OnnxReader.parse(ByteBuffer.wrap(build(true)), "broken-bert.onnx");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> BertOnnxImporter.load(g));
        assertTrue(e.getMessage().contains("broken-bert.onnx") && e.getMessage().contains("layer 2 has no output/dense"),
                e.getMessage());
    }
}
