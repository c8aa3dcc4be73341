package dev.spruce.model.onnx;

import dev.spruce.model.ModelFormatException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an ONNX model file (ModelProto) into an {@link OnnxGraph}: nodes, initializers, inputs, outputs.
 *
 * <p>Only the fields a weight importer needs are decoded (ModelProto.ir_version/graph/opset_import;
 * GraphProto.node/initializer/input/output; NodeProto.input/output/name/op_type/attribute;
 * TensorProto.dims/data_type/float_data/int32_data/int64_data/double_data/uint64_data/raw_data/name; the external-data
 * markers); everything else is skipped by wire type. Tensors whose data live in an external file are
 * rejected with a message saying so, because a .onnx given alone would then load without weights.
 */
public final class OnnxReader {
    private OnnxReader() {
    }

    /** Reads a model file; a missing, unreadable, truncated or corrupt file gives a one-line {@link ModelFormatException}. */
    public static OnnxGraph read(Path file) throws ModelFormatException {
        ByteBuffer bytes;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new ModelFormatException(file + ": ONNX files over 2 GB keep their weights as external data, "
                        + "which Spruce does not read");
            }
            bytes = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("model file not found: " + file);
        } catch (ModelFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelFormatException("cannot read model file " + file + ": " + e.getMessage(), e);
        }
        return parse(bytes, file.toString());
    }

    /** Reads a model from a stream (for example a class-path resource); {@code source} names it in errors. */
    public static OnnxGraph read(InputStream in, String source) throws ModelFormatException {
        if (in == null) {
            throw new ModelFormatException("model not found: " + source);
        }
        try (in) {
            return parse(ByteBuffer.wrap(in.readAllBytes()), source);
        } catch (ModelFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelFormatException("cannot read model " + source + ": " + e.getMessage(), e);
        }
    }

    /** Parses the bytes of a ModelProto. */
    public static OnnxGraph parse(ByteBuffer bytes, String source) throws ModelFormatException {
        if (!bytes.hasRemaining()) {
            throw new ModelFormatException(source + ": empty file, not an ONNX model");
        }
        try {
            return parseModel(new ProtoReader(bytes.order(ByteOrder.LITTLE_ENDIAN), "ONNX model"), source);
        } catch (ModelFormatException e) {
            throw new ModelFormatException(source + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // Defensive: any decoding slip on hostile bytes still ends as one clear error.
            throw new ModelFormatException(source + ": corrupt ONNX model (" + e + ")", e);
        }
    }

    private static OnnxGraph parseModel(ProtoReader r, String source) throws ModelFormatException {
        long irVersion = -1;
        long opset = 0;
        ProtoReader graph = null;
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (tag >>> 3) {
                case 1 -> irVersion = expectVarint(r, tag, "ir_version");
                case 7 -> graph = expectMessage(r, tag, "GraphProto");
                case 8 -> {
                    ProtoReader os = expectMessage(r, tag, "OperatorSetIdProto");
                    String domain = "";
                    long version = 0;
                    while (os.hasMore()) {
                        int t = os.readTag();
                        switch (t >>> 3) {
                            case 1 -> domain = expectString(os, t, "domain");
                            case 2 -> version = expectVarint(os, t, "version");
                            default -> os.skip(t);
                        }
                    }
                    if (domain.isEmpty() || domain.equals("ai.onnx")) {
                        opset = version;
                    }
                }
                default -> r.skip(tag);
            }
        }
        if (irVersion < 1 || graph == null) {
            throw new ModelFormatException("not an ONNX model (no " + (irVersion < 1 ? "ir_version" : "graph") + " field)");
        }
        return parseGraph(graph, source, opset);
    }

    private static OnnxGraph parseGraph(ProtoReader g, String source, long opset) throws ModelFormatException {
        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, OnnxTensor> inits = new LinkedHashMap<>();
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        while (g.hasMore()) {
            int tag = g.readTag();
            switch (tag >>> 3) {
                case 1 -> nodes.add(parseNode(expectMessage(g, tag, "NodeProto")));
                case 5 -> {
                    OnnxTensor t = parseTensor(expectMessage(g, tag, "TensorProto"));
                    inits.put(t.name(), t);
                }
                case 11 -> inputs.add(valueInfoName(expectMessage(g, tag, "ValueInfoProto")));
                case 12 -> outputs.add(valueInfoName(expectMessage(g, tag, "ValueInfoProto")));
                case 15 -> throw new ModelFormatException("sparse initializers are not supported");
                default -> g.skip(tag);
            }
        }
        for (OnnxNode n : nodes) {
            if (n.opType().equals("Constant") && n.attribute("value") != null && n.attribute("value").t() != null) {
                OnnxTensor t = n.attribute("value").t();
                inits.putIfAbsent(n.output(0), new OnnxTensor(n.output(0), t.dims(), t.dataType(), rawOf(t)));
            }
        }
        Set<String> initNames = new HashSet<>(inits.keySet());
        inputs.removeIf(initNames::contains); // IR < 4 lists initializers among the inputs
        return new OnnxGraph(source, nodes, inits, inputs, outputs, opset);
    }

    private static ByteBuffer rawOf(OnnxTensor t) {
        return t.rawData();
    }

    private static String valueInfoName(ProtoReader v) throws ModelFormatException {
        String name = "";
        while (v.hasMore()) {
            int t = v.readTag();
            if (t >>> 3 == 1) {
                name = expectString(v, t, "name");
            } else {
                v.skip(t);
            }
        }
        return name;
    }

    private static OnnxNode parseNode(ProtoReader n) throws ModelFormatException {
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        String name = "";
        String op = "";
        Map<String, OnnxAttribute> attrs = new LinkedHashMap<>();
        while (n.hasMore()) {
            int t = n.readTag();
            switch (t >>> 3) {
                case 1 -> in.add(expectString(n, t, "input"));
                case 2 -> out.add(expectString(n, t, "output"));
                case 3 -> name = expectString(n, t, "name");
                case 4 -> op = expectString(n, t, "op_type");
                case 5 -> {
                    OnnxAttribute a = parseAttribute(expectMessage(n, t, "AttributeProto"));
                    attrs.put(a.name(), a);
                }
                default -> n.skip(t);
            }
        }
        if (op.isEmpty()) {
            throw new ModelFormatException("node '" + name + "' has no op_type");
        }
        return new OnnxNode(name, op, in, out, attrs);
    }

    private static OnnxAttribute parseAttribute(ProtoReader a) throws ModelFormatException {
        String name = "";
        float f = 0;
        long i = 0;
        String s = null;
        OnnxTensor tensor = null;
        ProtoReader.LongList ints = new ProtoReader.LongList();
        List<Float> floats = new ArrayList<>();
        while (a.hasMore()) {
            int t = a.readTag();
            switch (t >>> 3) {
                case 1 -> name = expectString(a, t, "name");
                case 2 -> f = expectFloat(a, t, "f");
                case 3 -> i = expectVarint(a, t, "i");
                case 4 -> s = expectString(a, t, "s");
                case 5 -> tensor = parseTensor(expectMessage(a, t, "TensorProto"));
                case 7 -> {
                    if ((t & 7) == ProtoReader.LEN) {
                        ProtoReader p = a.readMessage("packed floats");
                        while (p.hasMore()) {
                            floats.add(p.readFixed32Float());
                        }
                    } else {
                        floats.add(expectFloat(a, t, "floats"));
                    }
                }
                case 8 -> a.readInt64s(t, ints);
                default -> a.skip(t);
            }
        }
        float[] fl = new float[floats.size()];
        for (int k = 0; k < fl.length; k++) {
            fl[k] = floats.get(k);
        }
        return new OnnxAttribute(name, f, i, s, tensor, ints.toArray(), fl);
    }

    /** Data types stored in TensorProto.int32_data: int32, int16, int8, uint16, uint8, bool, float16, bfloat16. */
    private static final java.util.Set<Integer> INT32_DATA_TYPES = java.util.Set.of(6, 5, 3, 4, 2, 9, 10, 16);

    private static OnnxTensor parseTensor(ProtoReader r) throws ModelFormatException {
        ProtoReader.LongList dims = new ProtoReader.LongList();
        int dataType = 0;
        String name = "";
        ByteBuffer raw = null;
        java.io.ByteArrayOutputStream typed = null; // float_data / int64_data / double_data as LE bytes
        ProtoReader.LongList int32s = new ProtoReader.LongList();  // int32_data, one per element
        ProtoReader.LongList uint64s = new ProtoReader.LongList(); // uint64_data, one per element
        boolean external = false;
        while (r.hasMore()) {
            int t = r.readTag();
            switch (t >>> 3) {
                case 1 -> r.readInt64s(t, dims);
                case 2 -> dataType = (int) expectVarint(r, t, "data_type");
                case 4 -> typed = appendFixed32(r, t, typed);
                // int32_data carries every integer type up to 32 bits and float16/bfloat16 bit patterns, one
                // varint per element, and uint64_data carries uint32/uint64: collected here, narrowed to the
                // element width once data_type is known (it may come after the data).
                case 5 -> r.readInt64s(t, int32s);
                case 11 -> r.readInt64s(t, uint64s);
                case 7 -> typed = appendVarints(r, t, typed, 8);
                case 8 -> name = expectString(r, t, "name");
                case 9 -> raw = expectBytes(r, t, "raw_data");
                case 10 -> typed = appendFixed64(r, t, typed);
                case 13 -> {
                    external = true;
                    r.skip(t);
                }
                case 14 -> external |= expectVarint(r, t, "data_location") == 1;
                default -> r.skip(t);
            }
        }
        if (external) {
            throw new ModelFormatException("tensor '" + name + "' keeps its data in an external file; "
                    + "Spruce reads only self-contained .onnx files (re-export without external data)");
        }
        if (int32s.size() > 0 || uint64s.size() > 0) {
            boolean fits = int32s.size() > 0 ? INT32_DATA_TYPES.contains(dataType) : dataType == 12 || dataType == 13;
            if (typed != null || (int32s.size() > 0 && uint64s.size() > 0) || !fits) {
                throw new ModelFormatException("tensor '" + name + "' of data type " + dataType + " has "
                        + (int32s.size() > 0 ? "int32_data" : "uint64_data") + ", which that type does not use");
            }
            typed = appendVarints((int32s.size() > 0 ? int32s : uint64s).toArray(), OnnxTensor.elementBytes(dataType));
        }
        if (raw != null && typed != null) {
            throw new ModelFormatException("tensor '" + name + "' has both raw_data and typed data");
        }
        ByteBuffer data = raw != null ? raw : ByteBuffer.wrap(typed == null ? new byte[0] : typed.toByteArray());
        OnnxTensor tensor = new OnnxTensor(name, dims.toArray(), dataType, data);
        tensor.validate();
        return tensor;
    }

    private static java.io.ByteArrayOutputStream appendFixed32(ProtoReader r, int t, java.io.ByteArrayOutputStream out)
            throws ModelFormatException {
        out = out == null ? new java.io.ByteArrayOutputStream() : out;
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        if ((t & 7) == ProtoReader.LEN) {
            ByteBuffer p = r.readBytes();
            if (p.remaining() % 4 != 0) {
                throw r.corrupt("packed float_data of " + p.remaining() + " bytes");
            }
            byte[] a = new byte[p.remaining()];
            p.get(a);
            out.writeBytes(a);
        } else {
            b.putFloat(expectFloat(r, t, "float_data"));
            out.writeBytes(b.array());
        }
        return out;
    }

    private static java.io.ByteArrayOutputStream appendFixed64(ProtoReader r, int t, java.io.ByteArrayOutputStream out)
            throws ModelFormatException {
        out = out == null ? new java.io.ByteArrayOutputStream() : out;
        if ((t & 7) == ProtoReader.LEN) {
            ByteBuffer p = r.readBytes();
            if (p.remaining() % 8 != 0) {
                throw r.corrupt("packed double_data of " + p.remaining() + " bytes");
            }
            byte[] a = new byte[p.remaining()];
            p.get(a);
            out.writeBytes(a);
        } else if ((t & 7) == ProtoReader.FIXED64) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(r.readFixed64());
            out.writeBytes(b.array());
        } else {
            throw r.corrupt("double_data with wire type " + (t & 7));
        }
        return out;
    }

    private static java.io.ByteArrayOutputStream appendVarints(ProtoReader r, int t, java.io.ByteArrayOutputStream out,
                                                               int width) throws ModelFormatException {
        ProtoReader.LongList vals = new ProtoReader.LongList();
        r.readInt64s(t, vals);
        java.io.ByteArrayOutputStream more = appendVarints(vals.toArray(), width);
        if (out == null) {
            return more;
        }
        out.writeBytes(more.toByteArray());
        return out;
    }

    /** Each value's low {@code width} bytes, little-endian (ONNX stores narrow types widened to varints). */
    private static java.io.ByteArrayOutputStream appendVarints(long[] vals, int width) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(vals.length * width);
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : vals) {
            b.clear();
            b.putLong(v);
            out.write(b.array(), 0, width);
        }
        return out;
    }

    private static long expectVarint(ProtoReader r, int tag, String field) throws ModelFormatException {
        if ((tag & 7) != ProtoReader.VARINT) {
            throw r.corrupt("field " + field + " has wire type " + (tag & 7) + ", expected a varint");
        }
        return r.readVarint();
    }

    private static float expectFloat(ProtoReader r, int tag, String field) throws ModelFormatException {
        if ((tag & 7) != ProtoReader.FIXED32) {
            throw r.corrupt("field " + field + " has wire type " + (tag & 7) + ", expected fixed32");
        }
        return r.readFixed32Float();
    }

    private static ByteBuffer expectBytes(ProtoReader r, int tag, String field) throws ModelFormatException {
        if ((tag & 7) != ProtoReader.LEN) {
            throw r.corrupt("field " + field + " has wire type " + (tag & 7) + ", expected bytes");
        }
        return r.readBytes();
    }

    private static String expectString(ProtoReader r, int tag, String field) throws ModelFormatException {
        if ((tag & 7) != ProtoReader.LEN) {
            throw r.corrupt("field " + field + " has wire type " + (tag & 7) + ", expected a string");
        }
        return r.readString();
    }

    private static ProtoReader expectMessage(ProtoReader r, int tag, String type) throws ModelFormatException {
        if ((tag & 7) != ProtoReader.LEN) {
            throw r.corrupt(type + " field has wire type " + (tag & 7) + ", expected a message");
        }
        return r.readMessage(type);
    }
}
