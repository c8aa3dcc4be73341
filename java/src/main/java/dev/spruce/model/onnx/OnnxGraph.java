package dev.spruce.model.onnx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX ModelProto that a weight importer needs: the nodes in file order, the
 * initializers by name (Constant nodes' tensors are folded in as initializers too, since exporters use
 * both for weights and small constants), the graph's input and output names, and the opset.
 */
public final class OnnxGraph {
    private final String source;
    private final List<OnnxNode> nodes;
    private final Map<String, OnnxTensor> initializers;
    private final List<String> inputs;
    private final List<String> outputs;
    private final long opset;
    private final Map<String, OnnxNode> producers = new HashMap<>();
    private final Map<String, List<OnnxNode>> consumers = new HashMap<>();

    OnnxGraph(String source, List<OnnxNode> nodes, Map<String, OnnxTensor> initializers,
              List<String> inputs, List<String> outputs, long opset) {
        this.source = source;
        this.nodes = List.copyOf(nodes);
        this.initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.opset = opset;
        for (OnnxNode n : nodes) {
            for (String o : n.outputs()) {
                producers.put(o, n);
            }
            for (String in : n.inputs()) {
                if (!in.isEmpty()) {
                    consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                }
            }
        }
    }

    /** Where the graph was read from (a path or resource name), for error messages. */
    public String source() {
        return source;
    }

    public List<OnnxNode> nodes() {
        return nodes;
    }

    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    public OnnxTensor initializer(String name) {
        return initializers.get(name);
    }

    /** Graph inputs that are not initializers (the real feeds: input_ids, attention_mask, ...). */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** The default-domain opset version, 0 if none was declared. */
    public long opset() {
        return opset;
    }

    /** The node computing value {@code name}, or null for graph inputs and initializers. */
    public OnnxNode producer(String name) {
        return producers.get(name);
    }

    /** The nodes reading value {@code name} (empty if none). */
    public List<OnnxNode> consumers(String name) {
        return consumers.getOrDefault(name, List.of());
    }
}
