package dev.spruce.model;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.Parallel;
import dev.spruce.model.tokenizer.TokenBatch;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A BERT encoder with pooling ({@link Pooling}: mean by default, the sentence-transformers recipe) and L2
 * normalisation, whose six projections per layer are pluggable {@link Linear}s.
 *
 * <p>The forward packs the real tokens of a batch into one matrix (no padding rows), so every Linear
 * multiplies only real tokens and attention runs per sentence over that sentence's rows; this is exactly
 * what a padded forward with an additive -inf mask computes, minus the wasted work.
 */
public final class BertModel implements AutoCloseable {

    /** One encoder layer: attention projections, attention output, feed-forward in and out, two LayerNorms. */
    public record Layer(Linear query, Linear key, Linear value, Linear attentionOutput,
                        Linear intermediate, Linear output, LayerNorm attentionNorm, LayerNorm outputNorm) {
        public List<Linear> linears() {
            return List.of(query, key, value, attentionOutput, intermediate, output);
        }

        Layer map(UnaryOperator<Linear> f) {
            return new Layer(f.apply(query), f.apply(key), f.apply(value), f.apply(attentionOutput),
                    f.apply(intermediate), f.apply(output), attentionNorm, outputNorm);
        }
    }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private final BertConfig config;
    private final float[] wordEmbeddings;     // vocab x hidden
    private final float[] positionEmbeddings; // maxPositions x hidden
    private final float[] typeEmbeddings;     // types x hidden, or null
    private final LayerNorm embeddingNorm;
    private final List<Layer> layers;
    private final Set<Linear> owned;          // the Linears this instance closes
    private final float attentionScale;
    /** Runs the attention step (the Vector API one when present, else the scalar reference). */
    private final Backend attentionBackend;
    private final int threads;
    private final ThreadLocal<Workspace> workspace = ThreadLocal.withInitial(Workspace::new);

    BertModel(BertConfig config, float[] wordEmbeddings, float[] positionEmbeddings, float[] typeEmbeddings,
              LayerNorm embeddingNorm, List<Layer> layers, Set<Linear> owned, float attentionScale) {
        this.config = config;
        this.wordEmbeddings = wordEmbeddings;
        this.positionEmbeddings = positionEmbeddings;
        this.typeEmbeddings = typeEmbeddings;
        this.embeddingNorm = embeddingNorm;
        this.layers = List.copyOf(layers);
        this.owned = owned;
        this.attentionScale = attentionScale;
        this.threads = Parallel.defaultThreadCount();
        this.attentionBackend = Backends.bestCpu(Op.ATTENTION, DType.F32);
        for (Layer l : layers) {
            check(l.query(), config.hiddenSize(), config.hiddenSize());
            check(l.key(), config.hiddenSize(), config.hiddenSize());
            check(l.value(), config.hiddenSize(), config.hiddenSize());
            check(l.attentionOutput(), config.hiddenSize(), config.hiddenSize());
            check(l.intermediate(), config.hiddenSize(), config.intermediateSize());
            check(l.output(), config.intermediateSize(), config.hiddenSize());
        }
    }

    private static void check(Linear l, int in, int out) {
        if (l.inFeatures() != in || l.outFeatures() != out) {
            throw new IllegalArgumentException("layer " + l.name() + " is " + l.inFeatures() + " -> "
                    + l.outFeatures() + ", the model needs " + in + " -> " + out);
        }
    }

    public BertConfig config() {
        return config;
    }

    /**
     * Assembles a model from its parts (for model-file readers such as the CLI's packed format); the model
     * owns, and closes, every Linear of {@code layers}.
     */
    public static BertModel assemble(BertConfig config, float[] wordEmbeddings, float[] positionEmbeddings,
                                     float[] typeEmbeddings, LayerNorm embeddingNorm, List<Layer> layers,
                                     float attentionScale) {
        Set<Linear> owned = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Layer l : layers) {
            owned.addAll(l.linears());
        }
        return new BertModel(config, wordEmbeddings, positionEmbeddings, typeEmbeddings, embeddingNorm, layers,
                owned, attentionScale);
    }

    /** The word embedding table (vocab x hidden, row-major); shared, read only (for model-file writers). */
    public float[] wordEmbeddings() {
        return wordEmbeddings;
    }

    /** The position embedding table (maxPositions x hidden); shared, read only. */
    public float[] positionEmbeddings() {
        return positionEmbeddings;
    }

    /** The token-type embedding table (types x hidden), or null; shared, read only. */
    public float[] typeEmbeddings() {
        return typeEmbeddings;
    }

    public LayerNorm embeddingNorm() {
        return embeddingNorm;
    }

    /** The divisor of the attention scores (sqrt(headDim) in the usual exports). */
    public float attentionScale() {
        return attentionScale;
    }

    public List<Layer> layers() {
        return layers;
    }

    /** Every Linear in forward order (query, key, value, attention output, intermediate, output per layer). */
    public List<Linear> linears() {
        List<Linear> all = new ArrayList<>();
        for (Layer l : layers) {
            all.addAll(l.linears());
        }
        return all;
    }

    /**
     * A model sharing this one's embeddings and norms, with each Linear replaced by {@code replace.apply(it)}
     * (return the argument to keep it). The new model owns, and closes, only the Linears it did not share.
     */
    public BertModel withLinears(UnaryOperator<Linear> replace) {
        Set<Linear> mine = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Linear> existing = Collections.newSetFromMap(new IdentityHashMap<>());
        existing.addAll(linears());
        List<Layer> mapped = new ArrayList<>();
        for (Layer l : layers) {
            Layer m = l.map(replace);
            for (Linear lin : m.linears()) {
                if (!existing.contains(lin)) {
                    mine.add(lin);
                }
            }
            mapped.add(m);
        }
        return new BertModel(config, wordEmbeddings, positionEmbeddings, typeEmbeddings, embeddingNorm, mapped,
                mine, attentionScale);
    }

    /** Sentence embeddings (mean-pooled over real tokens, L2-normalised), one row per sentence. */
    public float[][] embed(TokenBatch batch) {
        return embed(batch, null, Pooling.MEAN);
    }

    /** As {@link #embed(TokenBatch)}, reporting every Linear's input to {@code tap} (may be null). */
    public float[][] embed(TokenBatch batch, LinearTap tap) {
        return embed(batch, tap, Pooling.MEAN);
    }

    /** Sentence embeddings pooled by {@code pooling} and L2-normalised; {@code tap} may be null. */
    public float[][] embed(TokenBatch batch, LinearTap tap, Pooling pooling) {
        float[] h = hiddenStates(batch, tap);
        int hid = config.hiddenSize();
        float[][] out = new float[batch.batch()][];
        int off = 0;
        for (int b = 0; b < batch.batch(); b++) {
            int len = batch.lengths()[b];
            out[b] = pooling.embed(h, off, len, hid);
            off += len;
        }
        return out;
    }

    /**
     * The last hidden states of the real tokens, packed: sentence after sentence, row-major
     * [{@code batch.realTokens()} x hidden]. This is ONNX's last_hidden_state without the padding rows.
     */
    public float[] hiddenStates(TokenBatch batch, LinearTap tap) {
        final int hid = config.hiddenSize();
        final int inter = config.intermediateSize();
        final int n = batch.realTokens();
        final int[] offsets = new int[batch.batch() + 1];
        for (int b = 0; b < batch.batch(); b++) {
            if (batch.lengths()[b] > config.maxPositions()) {
                throw new IllegalArgumentException("sentence " + b + " has " + batch.lengths()[b]
                        + " tokens, the model takes at most " + config.maxPositions());
            }
            offsets[b + 1] = offsets[b] + batch.lengths()[b];
        }
        float[] h = embeddings(batch, offsets);
        float[] q = new float[n * hid];
        float[] k = new float[n * hid];
        float[] v = new float[n * hid];
        float[] ctx = new float[n * hid];
        float[] f = new float[n * inter];
        Workspace ws = workspace.get();
        boolean mine = !ws.busy; // a re-entrant call on this thread (from a LinearTap) gets its own matrices
        if (mine) {
            ws.busy = true;
            ws.ensure(n, hid, inter);
        }
        try (Matrix hm = mine ? ws.h.topRows(n) : Matrix.allocate(n, hid, DType.F32);
             Matrix qm = mine ? ws.q.topRows(n) : Matrix.allocate(n, hid, DType.F32);
             Matrix km = mine ? ws.k.topRows(n) : Matrix.allocate(n, hid, DType.F32);
             Matrix vm = mine ? ws.v.topRows(n) : Matrix.allocate(n, hid, DType.F32);
             Matrix fm = mine ? ws.f.topRows(n) : Matrix.allocate(n, inter, DType.F32)) {
            for (Layer layer : layers) {
                put(h, hm);
                run(layer.query(), hm, qm, tap);
                run(layer.key(), hm, km, tap);
                run(layer.value(), hm, vm, tap);
                take(qm, q);
                take(km, k);
                take(vm, v);
                attention(offsets, q, k, v, ctx);
                put(ctx, qm);
                run(layer.attentionOutput(), qm, km, tap);
                addAndNormalize(km, h, layer.attentionNorm(), n);
                put(h, hm);
                run(layer.intermediate(), hm, fm, tap);
                take(fm, f);
                Parallel.forRange(n, threads, 4, (r0, r1) -> config.activation().apply(f, r0 * inter, r1 * inter));
                put(f, fm);
                run(layer.output(), fm, km, tap);
                addAndNormalize(km, h, layer.outputNorm(), n);
            }
        } finally {
            if (mine) {
                ws.busy = false;
            }
        }
        return h;
    }

    /**
     * One thread's activation matrices, reused by every forward pass on that thread (views of the first n rows):
     * allocating and closing five native matrices per sentence cost 25-90 us each, as much as a small product. Held
     * in {@link Matrix#scratch} memory, which the garbage collector frees once the thread or this model is gone.
     */
    private static final class Workspace {
        Matrix h;
        Matrix q;
        Matrix k;
        Matrix v;
        Matrix f;
        boolean busy;

        void ensure(int n, int hid, int inter) {
            if (h != null && h.rows() >= n) {
                return;
            }
            int rows = Math.max(n, h == null ? 64 : 2 * h.rows());
            h = Matrix.scratch(rows, hid, DType.F32);
            q = Matrix.scratch(rows, hid, DType.F32);
            k = Matrix.scratch(rows, hid, DType.F32);
            v = Matrix.scratch(rows, hid, DType.F32);
            f = Matrix.scratch(rows, inter, DType.F32);
        }
    }

    private static void run(Linear l, Matrix x, Matrix y, LinearTap tap) {
        if (tap != null) {
            tap.observe(l.name(), x);
        }
        l.forward(x, y);
    }

    /** h = LayerNorm(h + y), y read from the matrix. */
    private void addAndNormalize(Matrix y, float[] h, LayerNorm norm, int n) {
        int hid = config.hiddenSize();
        MemorySegment s = y.segment();
        Parallel.forRange(n, threads, 8, (r0, r1) -> {
            // One bulk copy, then a loop C2 vectorises (element-wise segment reads stayed scalar).
            float[] add = new float[(r1 - r0) * hid];
            MemorySegment.copy(s, F32, 4L * r0 * hid, add, 0, add.length);
            for (int i = 0, o = r0 * hid; i < add.length; i++) {
                h[o + i] += add[i];
            }
            norm.apply(h, r0, r1);
        });
    }

    private float[] embeddings(TokenBatch batch, int[] offsets) {
        int hid = config.hiddenSize();
        float[] h = new float[offsets[batch.batch()] * hid];
        for (int b = 0; b < batch.batch(); b++) {
            for (int t = 0; t < batch.lengths()[b]; t++) {
                int id = batch.ids()[b * batch.seqLen() + t];
                int type = batch.typeIds()[b * batch.seqLen() + t];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " outside the vocabulary of "
                            + config.vocabSize());
                }
                if (type != 0 && (typeEmbeddings == null || type >= config.typeVocabSize() || type < 0)) {
                    throw new IllegalArgumentException("token type " + type + " not in this model");
                }
                int dst = (offsets[b] + t) * hid;
                int w = id * hid;
                int p = t * hid;
                for (int c = 0; c < hid; c++) {
                    float x = wordEmbeddings[w + c];
                    if (typeEmbeddings != null) {
                        x += typeEmbeddings[type * hid + c];
                    }
                    h[dst + c] = x + positionEmbeddings[p + c];
                }
            }
        }
        embeddingNorm.apply(h, 0, offsets[batch.batch()]);
        return h;
    }

    /** Multi-head self-attention per sentence and head over the packed rows; ctx gets the heads side by side. */
    private void attention(int[] offsets, float[] q, float[] k, float[] v, float[] ctx) {
        attentionBackend.attention(q, k, v, ctx, offsets, config.heads(), config.headDim(), attentionScale);
    }

    private static void put(float[] a, Matrix m) {
        MemorySegment.copy(a, 0, m.segment(), F32, 0, a.length);
    }

    private static void take(Matrix m, float[] a) {
        MemorySegment.copy(m.segment(), F32, 0, a, 0, a.length);
    }

    /** Frees the Linears this model owns (not those it shares with the model it was derived from). */
    @Override
    public void close() {
        for (Linear l : owned) {
            l.close();
        }
    }
}
