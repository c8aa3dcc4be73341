package dev.spruce.cli.pipeline;

import dev.spruce.layout.ArmorLayout;
import dev.spruce.layout.BlockSparse;
import dev.spruce.layout.Sparse24;
import dev.spruce.layout.io.SafeTensors;
import dev.spruce.layout.io.SafeTensorsReader;
import dev.spruce.layout.io.SafeTensorsWriter;
import dev.spruce.layout.io.TensorDType;
import dev.spruce.model.Activation;
import dev.spruce.model.BertConfig;
import dev.spruce.model.BertModel;
import dev.spruce.model.DenseLinear;
import dev.spruce.model.LayerNorm;
import dev.spruce.model.Linear;
import dev.spruce.model.ModelFormatException;
import dev.spruce.model.Pooling;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.model.tokenizer.WordPieceTokenizer;
import dev.spruce.model.ArmorLinear;
import dev.spruce.model.BlockSparseLinear;
import dev.spruce.model.Sparse24Linear;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The packed model file: one safetensors file holding a whole BERT encoder, each Linear in its own layout.
 *
 * <p>Tensors: {@code embeddings.word|position|token_type} tables and {@code embeddings.norm.gamma|beta};
 * per layer {@code layer.I.attention_norm.*} and {@code layer.I.output_norm.*}; per Linear NAME either
 * {@code NAME.weight} (F32 [out, in], dense, possibly with pruned zeros) or {@code NAME.values} (F32
 * [out, in/2]) + {@code NAME.codes} (I16 [out, ceil(in/16)]) for {@link Sparse24}, and {@code NAME.bias}.
 * The {@code __metadata__} map holds the config, the attention scale and every LayerNorm epsilon (as exact
 * float strings), each Linear's name and layout per layer role, and the tokenizer reference. All values are
 * stored in F32 exactly as in memory, so a loaded model computes the same embeddings bit for bit.
 */
public final class PackedModel {
    public static final String FORMAT_KEY = "spruce.format";
    public static final String FORMAT = "spruce-bert-packed";
    public static final String VERSION_KEY = "spruce.format_version";
    public static final String VERSION = "1";
    public static final String TOKENIZER_KEY = "tokenizer";
    public static final String POOLING_KEY = "pooling";
    /** The tokenizer.json bytes, embedded as a U8 tensor. */
    public static final String TOKENIZER_TENSOR = "tokenizer.json";
    static final List<String> ROLES = List.of("query", "key", "value", "attention_output", "intermediate", "output");
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private PackedModel() {
    }

    /**
     * Writes {@code model} to {@code file} (temporary file in the same folder, then an atomic rename: a
     * failed or interrupted write leaves no half-written file). {@code extra} metadata (method, pattern,
     * source) is added as is.
     */
    public static void write(BertModel model, String tokenizerRef, Pooling pooling, Map<String, String> extra,
                             Path file) throws IOException {
        BertConfig c = model.config();
        Map<String, String> meta = new LinkedHashMap<>(extra);
        meta.put(FORMAT_KEY, FORMAT);
        meta.put(VERSION_KEY, VERSION);
        meta.put(TOKENIZER_KEY, tokenizerRef);
        meta.put(POOLING_KEY, pooling.label());
        meta.put("hidden_size", Integer.toString(c.hiddenSize()));
        meta.put("heads", Integer.toString(c.heads()));
        meta.put("layers", Integer.toString(c.layers()));
        meta.put("intermediate_size", Integer.toString(c.intermediateSize()));
        meta.put("vocab_size", Integer.toString(c.vocabSize()));
        meta.put("max_positions", Integer.toString(c.maxPositions()));
        meta.put("type_vocab_size", Integer.toString(c.typeVocabSize()));
        meta.put("layer_norm_eps", Float.toString(c.layerNormEps()));
        meta.put("activation", c.activation().name());
        meta.put("attention_scale", Float.toString(model.attentionScale()));
        int hid = c.hiddenSize();
        SafeTensorsWriter w = new SafeTensorsWriter();
        w.put("embeddings.word", TensorDType.F32, new long[] {c.vocabSize(), hid}, model.wordEmbeddings());
        w.put("embeddings.position", TensorDType.F32, new long[] {model.positionEmbeddings().length / hid, hid},
                model.positionEmbeddings());
        if (model.typeEmbeddings() != null) {
            w.put("embeddings.token_type", TensorDType.F32, new long[] {model.typeEmbeddings().length / hid, hid},
                    model.typeEmbeddings());
        }
        putNorm(w, meta, "embeddings.norm", model.embeddingNorm());
        for (int i = 0; i < model.layers().size(); i++) {
            BertModel.Layer layer = model.layers().get(i);
            List<Linear> lin = layer.linears();
            for (int r = 0; r < ROLES.size(); r++) {
                Linear l = lin.get(r);
                meta.put("layer." + i + "." + ROLES.get(r), l.name());
                meta.put("layout." + l.name(), putLinear(w, l));
            }
            putNorm(w, meta, "layer." + i + ".attention_norm", layer.attentionNorm());
            putNorm(w, meta, "layer." + i + ".output_norm", layer.outputNorm());
        }
        // The tokenizer travels inside the file, so a packed model still loads after it is copied elsewhere.
        byte[] tok = ModelSource.tokenizerBytes(tokenizerRef);
        w.put(TOKENIZER_TENSOR, TensorDType.U8, new long[] {tok.length}, tok);
        Path abs = file.toAbsolutePath();
        if (abs.getParent() != null) {
            Files.createDirectories(abs.getParent());
        }
        w.metadata(meta).write(abs);
    }

    private static void putNorm(SafeTensorsWriter w, Map<String, String> meta, String name, LayerNorm n) {
        w.put(name + ".gamma", TensorDType.F32, new long[] {n.size()}, n.gamma());
        w.put(name + ".beta", TensorDType.F32, new long[] {n.size()}, n.beta());
        meta.put("eps." + name, Float.toString(n.eps()));
    }

    private static String putLinear(SafeTensorsWriter w, Linear l) {
        float[] bias;
        switch (l) {
            case DenseLinear d -> {
                Matrix m = d.weight();
                if (m.dtype() != DType.F32) {
                    throw new IllegalArgumentException("layer " + l.name() + ": only F32 dense weights are packed, got " + m.dtype());
                }
                w.put(l.name() + ".weight", TensorDType.F32, new long[] {m.rows(), m.cols()}, m.segment());
                bias = d.bias();
            }
            case Sparse24Linear s -> {
                Sparse24 p = s.weight();
                w.put(l.name() + ".values", TensorDType.of(p.valueType()), new long[] {p.rows(), p.valuesPerRow()}, p.values());
                w.put(l.name() + ".codes", TensorDType.I16, new long[] {p.rows(), Sparse24.wordsPerRow(p.cols())}, p.codes());
                bias = s.bias();
            }
            case ArmorLinear a -> {
                a.layout().putTensors(w, l.name() + ".");
                bias = a.layout().bias();
            }
            case BlockSparseLinear b -> {
                b.weight().putTensors(w, l.name() + ".");
                bias = b.bias();
            }
            default -> throw new IllegalArgumentException("layer " + l.name() + ": layout " + l.kind()
                    + " cannot be written to a packed model file");
        }
        if (bias != null) {
            w.put(l.name() + ".bias", TensorDType.F32, new long[] {bias.length}, bias);
        }
        return l.kind();
    }

    /** Reads a packed file; the tokenizer is resolved from the file's reference. */
    public static SentenceEncoder load(Path file) throws ModelFormatException {
        try (SafeTensors st = open(file)) {
            BertModel model = model(st, file);
            try {
                return new SentenceEncoder(tokenizer(st, file), model, pooling(st.metadata()));
            } catch (ModelFormatException | RuntimeException e) {
                model.close();
                throw e;
            }
        }
    }

    /** The file's embedded tokenizer; files written before it was embedded name it by reference instead. */
    static WordPieceTokenizer tokenizer(SafeTensors st, Path file) throws ModelFormatException {
        if (!st.contains(TOKENIZER_TENSOR)) {
            return ModelSource.tokenizer(st.metadata().get(TOKENIZER_KEY));
        }
        SafeTensors.Tensor t = st.tensor(TOKENIZER_TENSOR);
        if (t.dtype() != TensorDType.U8 || t.shape().length != 1) {
            throw new ModelFormatException(file + ": tensor " + TOKENIZER_TENSOR + " is not a U8 byte string");
        }
        byte[] json = t.data().toArray(ValueLayout.JAVA_BYTE);
        return WordPieceTokenizer.load(new ByteArrayInputStream(json), file + " (embedded tokenizer)");
    }

    /** The pooling a packed file records. */
    public static Pooling pooling(Path file) throws ModelFormatException {
        try (SafeTensors st = open(file)) {
            return pooling(st.metadata());
        }
    }

    /** The pooling a file records; files written before pooling was recorded used mean pooling. */
    public static Pooling pooling(Map<String, String> meta) throws ModelFormatException {
        String p = meta.get(POOLING_KEY);
        if (p == null) {
            return Pooling.MEAN;
        }
        try {
            return Pooling.parse(p);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("metadata '" + POOLING_KEY + "': " + e.getMessage());
        }
    }

    /** Opens and checks a packed file (missing, truncated, corrupt or foreign files give one-line errors). */
    public static SafeTensors open(Path file) throws ModelFormatException {
        SafeTensors st;
        try {
            st = SafeTensorsReader.read(file);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("packed model file not found: " + file);
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(file + ": not a readable safetensors file: " + e.getMessage(), e);
        }
        Map<String, String> meta = st.metadata();
        if (!FORMAT.equals(meta.get(FORMAT_KEY))) {
            st.close();
            throw new ModelFormatException(file + ": not a Spruce packed model (metadata " + FORMAT_KEY + " is '"
                    + meta.get(FORMAT_KEY) + "', expected '" + FORMAT + "')");
        }
        if (!VERSION.equals(meta.get(VERSION_KEY)) || meta.get(TOKENIZER_KEY) == null) {
            st.close();
            throw new ModelFormatException(file + ": unsupported packed model version '" + meta.get(VERSION_KEY)
                    + "' or no tokenizer reference");
        }
        return st;
    }

    /** The model of an opened packed file. */
    public static BertModel model(SafeTensors st, Path file) throws ModelFormatException {
        List<Linear> made = new ArrayList<>();
        try {
            Map<String, String> meta = st.metadata();
            BertConfig c = new BertConfig(integer(meta, "hidden_size"), integer(meta, "heads"), integer(meta, "layers"),
                    integer(meta, "intermediate_size"), integer(meta, "vocab_size"), integer(meta, "max_positions"),
                    integer(meta, "type_vocab_size"), floating(meta, "layer_norm_eps"),
                    Activation.valueOf(required(meta, "activation")));
            int hid = c.hiddenSize();
            float[] word = floats(st, "embeddings.word", c.vocabSize(), hid);
            float[] pos = floats(st, "embeddings.position", c.maxPositions(), hid);
            float[] type = st.contains("embeddings.token_type") ? floats(st, "embeddings.token_type", c.typeVocabSize(), hid) : null;
            LayerNorm embNorm = norm(st, meta, "embeddings.norm", hid);
            List<BertModel.Layer> layers = new ArrayList<>();
            for (int i = 0; i < c.layers(); i++) {
                Linear[] lin = new Linear[ROLES.size()];
                for (int r = 0; r < lin.length; r++) {
                    lin[r] = linear(st, meta, required(meta, "layer." + i + "." + ROLES.get(r)));
                    made.add(lin[r]);
                }
                layers.add(new BertModel.Layer(lin[0], lin[1], lin[2], lin[3], lin[4], lin[5],
                        norm(st, meta, "layer." + i + ".attention_norm", hid), norm(st, meta, "layer." + i + ".output_norm", hid)));
            }
            return BertModel.assemble(c, word, pos, type, embNorm, layers, floating(meta, "attention_scale"));
        } catch (ModelFormatException e) {
            made.forEach(Linear::close);
            throw new ModelFormatException(file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            made.forEach(Linear::close);
            throw new ModelFormatException(file + ": inconsistent packed model: " + e.getMessage(), e);
        }
    }

    private static Linear linear(SafeTensors st, Map<String, String> meta, String name) throws ModelFormatException {
        String layout = required(meta, "layout." + name);
        float[] bias = st.contains(name + ".bias") ? floats(st, name + ".bias", -1, -1) : null;
        switch (layout) {
            case "dense" -> {
                SafeTensors.Tensor t = st.tensor(name + ".weight");
                requireF32Matrix(t);
                return new DenseLinear(name, t.toMatrix(), bias);
            }
            case "sparse24" -> {
                SafeTensors.Tensor v = st.tensor(name + ".values");
                SafeTensors.Tensor codes = st.tensor(name + ".codes");
                if (v.shape().length != 2 || codes.dtype() != TensorDType.I16) {
                    throw new ModelFormatException("layer " + name + ": sparse24 needs 2-D values and I16 codes");
                }
                int rows = Math.toIntExact(v.shape()[0]);
                int cols = Math.toIntExact(v.shape()[1] * 2);
                Sparse24 s = Sparse24.fromParts(rows, cols, v.dtype().toMatrixDType(), v.data(), codes.data());
                try {
                    return new Sparse24Linear(name, s, bias);
                } catch (RuntimeException e) {
                    s.close();
                    throw e;
                }
            }
            case "block" -> {
                BlockSparse b = BlockSparse.fromTensors(st, name + ".");
                try {
                    return new BlockSparseLinear(name, b, bias);
                } catch (RuntimeException e) {
                    b.close();
                    throw e;
                }
            }
            case "armor" -> {
                ArmorLayout a = ArmorLayout.fromTensors(st, name + ".", bias);
                try {
                    return new ArmorLinear(name, a);
                } catch (RuntimeException e) {
                    a.close();
                    throw e;
                }
            }
            default -> throw new ModelFormatException("layer " + name + " has unknown layout '" + layout + "'");
        }
    }

    private static void requireF32Matrix(SafeTensors.Tensor t) throws ModelFormatException {
        if (t.dtype() != TensorDType.F32 || t.shape().length != 2) {
            throw new ModelFormatException("tensor " + t.name() + " must be a 2-D F32 tensor, is " + t);
        }
    }

    private static LayerNorm norm(SafeTensors st, Map<String, String> meta, String name, int hid) throws ModelFormatException {
        return new LayerNorm(floats(st, name + ".gamma", 1, hid), floats(st, name + ".beta", 1, hid),
                floating(meta, "eps." + name));
    }

    /** An F32 tensor's values; rows/cols (when >= 0) are checked against its element count. */
    private static float[] floats(SafeTensors st, String name, int rows, int cols) throws ModelFormatException {
        if (!st.contains(name)) {
            throw new ModelFormatException("missing tensor '" + name + "'");
        }
        SafeTensors.Tensor t = st.tensor(name);
        if (t.dtype() != TensorDType.F32) {
            throw new ModelFormatException("tensor '" + name + "' is " + t.dtype() + ", expected F32");
        }
        if (rows >= 0 && t.elements() != (long) rows * cols) {
            throw new ModelFormatException("tensor " + t + " does not hold " + rows + " x " + cols + " values");
        }
        float[] a = new float[Math.toIntExact(t.elements())];
        MemorySegment.copy(t.data(), F32, 0, a, 0, a.length);
        return a;
    }

    private static String required(Map<String, String> meta, String key) throws ModelFormatException {
        String v = meta.get(key);
        if (v == null) {
            throw new ModelFormatException("metadata '" + key + "' missing");
        }
        return v;
    }

    private static int integer(Map<String, String> meta, String key) throws ModelFormatException {
        try {
            return Integer.parseInt(required(meta, key));
        } catch (NumberFormatException e) {
            throw new ModelFormatException("metadata '" + key + "' is not an integer: " + meta.get(key));
        }
    }

    private static float floating(Map<String, String> meta, String key) throws ModelFormatException {
        try {
            return Float.parseFloat(required(meta, key));
        } catch (NumberFormatException e) {
            throw new ModelFormatException("metadata '" + key + "' is not a number: " + meta.get(key));
        }
    }
}
