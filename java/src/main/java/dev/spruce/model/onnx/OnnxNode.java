package dev.spruce.model.onnx;

import java.util.List;
import java.util.Map;

/** One NodeProto: an operator with named input and output values (empty input name = omitted optional). */
public record OnnxNode(String name, String opType, List<String> inputs, List<String> outputs,
                       Map<String, OnnxAttribute> attributes) {

    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    public String output(int i) {
        return i < outputs.size() ? outputs.get(i) : "";
    }

    public OnnxAttribute attribute(String key) {
        return attributes.get(key);
    }
}
