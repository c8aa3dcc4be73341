package dev.spruce.model;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Op;
import dev.spruce.model.onnx.OnnxGraph;
import dev.spruce.model.onnx.OnnxNode;
import dev.spruce.model.onnx.OnnxTensor;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds a {@link BertModel} from an ONNX BERT encoder graph (Hugging Face / sentence-transformers exports).
 *
 * <p>Nothing about the shape is assumed. Projection weights are often unnamed initializers
 * ({@code onnx::MatMul_787}, stored [in, out]); a weight's layer is the name of the MatMul node that
 * consumes it ({@code /encoder/layer.0/attention/self/query/MatMul}) and its bias the initializer of the Add
 * that follows. Sizes come from the tensors, the head count from the attention Reshape constants (or the
 * score scale), the LayerNorm epsilon from the graph's constant (or the LayerNormalization attribute), and
 * the activation from the feed-forward operators (Erf, Tanh, Relu).
 */
public final class BertOnnxImporter {
    private static final Pattern PROJECTION = Pattern.compile(
            "(?:^|/)layer\\.(\\d+)/(attention/self/query|attention/self/key|attention/self/value"
                    + "|attention/output/dense|intermediate/dense|output/dense)/(?:MatMul|Gemm)[^/]*$");
    private static final List<String> ROLES = List.of("attention/self/query", "attention/self/key",
            "attention/self/value", "attention/output/dense", "intermediate/dense", "output/dense");

    private final OnnxGraph g;
    private final Backend backend;

    private BertOnnxImporter(OnnxGraph g, Backend backend) {
        this.g = g;
        this.backend = backend;
    }

    /** Imports with dense Linears on the fastest CPU backend. */
    public static BertModel load(OnnxGraph graph) throws ModelFormatException {
        return load(graph, Backends.bestCpu(Op.GEMM, DType.F32));
    }

    /** Imports with dense Linears on {@code backend}. */
    public static BertModel load(OnnxGraph graph, Backend backend) throws ModelFormatException {
        try {
            return new BertOnnxImporter(graph, backend).build();
        } catch (ModelFormatException e) {
            throw new ModelFormatException(graph.source() + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(graph.source() + ": not a usable BERT encoder: " + e.getMessage(), e);
        }
    }

    /** Operators of int8-quantized exports (onnxruntime's quantize_dynamic / quantize_static). */
    private static final java.util.Set<String> QUANTIZED_OPS = java.util.Set.of("MatMulInteger", "DynamicQuantizeLinear",
            "QLinearMatMul", "DequantizeLinear", "QuantizeLinear", "MatMulNBits", "DynamicQuantizeMatMul");

    private record Proj(String name, String scope, OnnxTensor weight, OnnxTensor bias) {
    }

    private BertModel build() throws ModelFormatException {
        // 1. Projections, keyed by layer index and role.
        Map<Integer, Map<String, Proj>> byLayer = new TreeMap<>();
        for (OnnxNode n : g.nodes()) {
            if (!n.opType().equals("MatMul")) {
                continue;
            }
            Matcher m = PROJECTION.matcher(n.name());
            OnnxTensor w = g.initializer(n.input(1));
            if (!m.find() || w == null) {
                continue;
            }
            if (w.rank() != 2 || w.dataType() != OnnxTensor.FLOAT) {
                throw new ModelFormatException("weight of " + n.name() + " is not a 2-D float tensor: " + w);
            }
            int layer = Integer.parseInt(m.group(1));
            String role = m.group(2);
            String scope = n.name().substring(0, m.start(2));          // "/encoder/layer.0/"
            String name = (n.name().substring(0, m.end(2))).replaceAll("^/+", "").replace('/', '.');
            Proj prev = byLayer.computeIfAbsent(layer, k -> new HashMap<>())
                    .put(role, new Proj(name, scope, w, biasAfter(n, (int) w.dim(1))));
            if (prev != null) {
                throw new ModelFormatException("two MatMul nodes for " + name);
            }
        }
        if (byLayer.isEmpty()) {
            for (OnnxNode n : g.nodes()) {
                if (QUANTIZED_OPS.contains(n.opType())) {
                    throw new ModelFormatException("this is a quantized model (it has " + n.opType() + " nodes); "
                            + "Spruce prunes float32 encoders: use the model's fp32 ONNX export");
                }
            }
            throw new ModelFormatException("no BERT encoder layers found (no MatMul node named like "
                    + "'/encoder/layer.N/attention/self/query/MatMul' with a weight initializer)");
        }
        int layers = byLayer.size();
        for (int i = 0; i < layers; i++) {
            Map<String, Proj> roles = byLayer.get(i);
            if (roles == null) {
                throw new ModelFormatException("encoder layer " + i + " is missing (found layers " + byLayer.keySet() + ")");
            }
            for (String r : ROLES) {
                if (!roles.containsKey(r)) {
                    throw new ModelFormatException("encoder layer " + i + " has no " + r + " projection");
                }
            }
        }
        Map<String, Proj> first = byLayer.get(0);
        int hidden = (int) first.get("attention/self/query").weight().dim(0);
        int inter = (int) first.get("intermediate/dense").weight().dim(1);

        // 2. Embedding tables, by what indexes them.
        float[] word = null;
        float[] pos = null;
        float[] type = null;
        int vocab = 0;
        int maxPos = 0;
        int types = 0;
        for (OnnxNode n : g.nodes()) {
            OnnxTensor t = n.opType().equals("Gather") ? g.initializer(n.input(0)) : null;
            if (t == null || t.rank() != 2 || t.dataType() != OnnxTensor.FLOAT || t.dim(1) != hidden) {
                continue;
            }
            String idx = n.input(1);
            String lname = n.name().toLowerCase(Locale.ROOT);
            if (idx.equals("input_ids") || lname.contains("word_embeddings")) {
                word = t.floats();
                vocab = (int) t.dim(0);
            } else if (idx.equals("token_type_ids") || lname.contains("token_type")) {
                type = t.floats();
                types = (int) t.dim(0);
            } else if (lname.contains("position")) {
                pos = t.floats();
                maxPos = (int) t.dim(0);
            }
        }
        if (word == null || pos == null) {
            throw new ModelFormatException("no " + (word == null ? "word" : "position") + " embedding table "
                    + "(a Gather over a [n, " + hidden + "] initializer)");
        }

        // 3. LayerNorms: the embedding one, then two per layer.
        Map<String, LayerNorm> norms = layerNorms(hidden);
        LayerNorm embNorm = null;
        for (Map.Entry<String, LayerNorm> e : norms.entrySet()) {
            if (e.getKey().contains("embeddings")) {
                embNorm = e.getValue();
            }
        }
        if (embNorm == null) {
            throw new ModelFormatException("no embeddings LayerNorm found");
        }

        // 4. Heads and activation from layer 0's operators.
        String scope0 = first.get("attention/self/query").scope();
        int heads = heads(scope0, hidden);
        Activation act = activation(first.get("intermediate/dense").scope() + "intermediate/");
        float scale = attentionScale(scope0, hidden / heads);

        BertConfig cfg = new BertConfig(hidden, heads, layers, inter, vocab, maxPos, Math.max(types, 1),
                embNorm.eps(), act);

        // 5. Linears (W transposed from ONNX's [in, out] to Spruce's out x in).
        Set<Linear> owned = Collections.newSetFromMap(new IdentityHashMap<>());
        List<BertModel.Layer> list = new ArrayList<>();
        try {
            for (int i = 0; i < layers; i++) {
                Map<String, Proj> r = byLayer.get(i);
                String scope = r.get("attention/self/query").scope();
                LayerNorm an = norm(norms, scope + "attention/output/", i);
                LayerNorm on = norm(norms, scope + "output/", i);
                Linear[] lin = new Linear[ROLES.size()];
                for (int j = 0; j < lin.length; j++) {
                    lin[j] = dense(r.get(ROLES.get(j)));
                    owned.add(lin[j]);
                }
                list.add(new BertModel.Layer(lin[0], lin[1], lin[2], lin[3], lin[4], lin[5], an, on));
            }
            return new BertModel(cfg, word, pos, type, embNorm, list, owned, scale);
        } catch (ModelFormatException | RuntimeException e) {
            owned.forEach(Linear::close);
            throw e;
        }
    }

    private Linear dense(Proj p) throws ModelFormatException {
        int in = (int) p.weight().dim(0);
        int out = (int) p.weight().dim(1);
        float[] w = p.weight().floats();
        float[] t = new float[w.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                t[o * in + i] = w[i * out + o];
            }
        }
        return new DenseLinear(p.name(), Matrix.of(t, out, in), p.bias() == null ? null : p.bias().floats(), backend);
    }

    /** The bias initializer of the Add that consumes a MatMul's output, or null. */
    private OnnxTensor biasAfter(OnnxNode matmul, int out) {
        for (OnnxNode c : g.consumers(matmul.output(0))) {
            if (c.opType().equals("Add")) {
                for (String in : c.inputs()) {
                    OnnxTensor b = g.initializer(in);
                    if (b != null && b.rank() == 1 && b.dim(0) == out && b.dataType() == OnnxTensor.FLOAT) {
                        return b;
                    }
                }
            }
        }
        return null;
    }

    /**
     * LayerNorms keyed by the node-name scope that holds them ("/encoder/layer.0/attention/output/LayerNorm").
     * Recognises the fused LayerNormalization op and the decomposition exporters emit for opset &lt; 17
     * (ReduceMean, Sub, Pow, ReduceMean, Add eps, Sqrt, Div, Mul gamma, Add beta).
     */
    private Map<String, LayerNorm> layerNorms(int hidden) throws ModelFormatException {
        Map<String, float[]> gamma = new HashMap<>();
        Map<String, float[]> beta = new HashMap<>();
        Map<String, Float> eps = new HashMap<>();
        Map<String, LayerNorm> out = new TreeMap<>();
        for (OnnxNode n : g.nodes()) {
            int at = n.name().toLowerCase(Locale.ROOT).lastIndexOf("layernorm");
            if (at < 0) {
                continue;
            }
            String scope = n.name().substring(0, at + "layernorm".length());
            if (n.opType().equals("LayerNormalization")) {
                OnnxTensor s = g.initializer(n.input(1));
                OnnxTensor b = g.initializer(n.input(2));
                float e = n.attribute("epsilon") != null ? n.attribute("epsilon").f() : 1e-5f;
                if (s == null || b == null) {
                    throw new ModelFormatException("LayerNormalization " + n.name() + " has no scale/bias initializers");
                }
                out.put(scope, new LayerNorm(s.floats(), b.floats(), e));
                continue;
            }
            for (String in : n.inputs()) {
                OnnxTensor t = g.initializer(in);
                if (t == null || t.dataType() != OnnxTensor.FLOAT) {
                    continue;
                }
                if (t.rank() == 1 && t.dim(0) == hidden) {
                    (n.opType().equals("Mul") ? gamma : n.opType().equals("Add") ? beta : new HashMap<String, float[]>())
                            .put(scope, t.floats());
                } else if (t.elementCount() == 1 && n.opType().equals("Add")) {
                    OnnxNode prev = g.producer(n.input(0).equals(in) ? n.input(1) : n.input(0));
                    if (prev != null && prev.opType().equals("ReduceMean")) {
                        eps.put(scope, (float) t.scalar());
                    }
                }
            }
        }
        for (String scope : gamma.keySet()) {
            if (!beta.containsKey(scope) || !eps.containsKey(scope)) {
                throw new ModelFormatException("LayerNorm " + scope + " is incomplete (gamma, beta and epsilon needed)");
            }
            out.put(scope, new LayerNorm(gamma.get(scope), beta.get(scope), eps.get(scope)));
        }
        return out;
    }

    private static LayerNorm norm(Map<String, LayerNorm> norms, String prefix, int layer) throws ModelFormatException {
        for (Map.Entry<String, LayerNorm> e : norms.entrySet()) {
            if (e.getKey().startsWith(prefix) && e.getKey().length() - prefix.length() == "LayerNorm".length()) {
                return e.getValue();
            }
        }
        throw new ModelFormatException("encoder layer " + layer + " has no LayerNorm under " + prefix);
    }

    /** Heads from the [.., .., heads, headDim] Reshape shapes the attention builds (Concat of constants). */
    private int heads(String scope, int hidden) throws ModelFormatException {
        for (OnnxNode n : g.nodes()) {
            if (!n.name().startsWith(scope + "attention/self/")) {
                continue;
            }
            if (n.opType().equals("Concat") && n.inputs().size() == 4) {
                long[] hd = new long[2];
                boolean ok = true;
                for (int i = 0; i < 2 && ok; i++) {
                    OnnxTensor t = g.initializer(n.input(2 + i));
                    ok = t != null && t.elementCount() == 1 && t.dataType() == OnnxTensor.INT64;
                    hd[i] = ok ? t.longs()[0] : 0;
                }
                if (ok && hd[0] > 0 && hd[0] * hd[1] == hidden) {
                    return (int) hd[0];
                }
            }
            if (n.opType().equals("Reshape")) {
                OnnxTensor shape = g.initializer(n.input(1));
                if (shape != null && shape.elementCount() == 4 && shape.dataType() == OnnxTensor.INT64) {
                    long[] s = shape.longs();
                    if (s[2] > 0 && s[2] * s[3] == hidden) {
                        return (int) s[2];
                    }
                }
            }
        }
        throw new ModelFormatException("cannot find the attention head count under " + scope + "attention/self/");
    }

    /** The divisor of the attention scores (sqrt(headDim) in exports; read from the graph where present). */
    private float attentionScale(String scope, int headDim) throws ModelFormatException {
        for (OnnxNode n : g.nodes()) {
            if (n.name().startsWith(scope + "attention/self/") && n.opType().equals("Div")) {
                OnnxNode p = g.producer(n.input(0));
                OnnxTensor c = g.initializer(n.input(1));
                if (p != null && p.opType().equals("MatMul") && c != null && c.elementCount() == 1) {
                    return (float) c.scalar();
                }
            }
        }
        return (float) Math.sqrt(headDim);
    }

    private Activation activation(String scope) throws ModelFormatException {
        for (OnnxNode n : g.nodes()) {
            if (!n.name().startsWith(scope)) {
                continue;
            }
            switch (n.opType()) {
                case "Erf":
                    return Activation.GELU_ERF;
                case "Tanh":
                    return Activation.GELU_TANH;
                case "Relu":
                    return Activation.RELU;
                case "Gelu":
                    return n.attribute("approximate") != null && "tanh".equals(n.attribute("approximate").s())
                            ? Activation.GELU_TANH : Activation.GELU_ERF;
                default:
                    break;
            }
        }
        throw new ModelFormatException("cannot tell the feed-forward activation under " + scope
                + " (no Erf, Tanh, Relu or Gelu node)");
    }
}
