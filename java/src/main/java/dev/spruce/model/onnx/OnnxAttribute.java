package dev.spruce.model.onnx;

/**
 * One NodeProto attribute. Only the kinds BERT graphs use are decoded: a float, an int, a string, a tensor,
 * lists of ints or floats; the others are kept as names so a reader can still say what it met.
 */
public record OnnxAttribute(String name, float f, long i, String s, OnnxTensor t, long[] ints, float[] floats) {
}
