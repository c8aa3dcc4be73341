package dev.spruce.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.spruce.model.tokenizer.TokenBatch;
import dev.spruce.model.tokenizer.WordPieceTokenizer;

import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The same sentence embedding computed by ONNX Runtime: the test oracle for {@link BertModel} and the speed
 * anchor for benchmarks. It feeds the padded batch (ids, mask, type ids) exactly as LangChain4j's
 * in-process MiniLM does, then pools ({@link Pooling}: mean over the mask, or the [CLS] token) and
 * L2-normalises.
 */
public final class OrtSentenceEncoder implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final WordPieceTokenizer tokenizer;
    private final boolean wantsTypeIds;
    private final Pooling pooling;

    /** Mean pooling. */
    public OrtSentenceEncoder(byte[] onnx, WordPieceTokenizer tokenizer, int threads) throws ModelFormatException {
        this(onnx, tokenizer, threads, Pooling.MEAN);
    }

    /**
     * @param onnx      the model bytes
     * @param threads   intra-op threads (the benchmarks use the same count as the Java backend)
     * @param pooling   how the hidden states become one vector (the same as the Java encoder it is compared to)
     */
    public OrtSentenceEncoder(byte[] onnx, WordPieceTokenizer tokenizer, int threads, Pooling pooling)
            throws ModelFormatException {
        this.env = OrtEnvironment.getEnvironment();
        this.tokenizer = tokenizer;
        this.pooling = java.util.Objects.requireNonNull(pooling, "pooling");
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            this.session = env.createSession(onnx, opts);
            this.wantsTypeIds = session.getInputNames().contains("token_type_ids");
        } catch (OrtException e) {
            throw new ModelFormatException("ONNX Runtime cannot load the model: " + e.getMessage(), e);
        }
    }

    /** ONNX Runtime over the embedded MiniLM. */
    public static OrtSentenceEncoder miniLm(int threads) throws ModelFormatException {
        return new OrtSentenceEncoder(MiniLm.onnxBytes(), MiniLm.tokenizer(), threads);
    }

    public float[][] embed(List<String> sentences) throws OrtException {
        return embed(tokenizer.batch(sentences));
    }

    /** As {@link SentenceEncoder#embed(List, int)}: {@code batch} sentences per run, the same token batches. */
    public float[][] embed(List<String> sentences, int batch) throws OrtException {
        float[][] out = new float[sentences.size()][];
        for (int i = 0; i < sentences.size(); i += batch) {
            float[][] e = embed(sentences.subList(i, Math.min(sentences.size(), i + batch)));
            System.arraycopy(e, 0, out, i, e.length);
        }
        return out;
    }

    /** Pooled, L2-normalised embeddings of a padded batch. */
    public float[][] embed(TokenBatch batch) throws OrtException {
        float[][][] hidden = lastHiddenState(batch);
        int hid = hidden[0][0].length;
        float[][] out = new float[batch.batch()][];
        for (int b = 0; b < batch.batch(); b++) {
            // The real tokens of a sentence, packed, so the Java encoder's pooling code applies as is.
            int len = 0;
            float[] real = new float[batch.seqLen() * hid];
            for (int t = 0; t < batch.seqLen(); t++) {
                if (batch.mask()[b * batch.seqLen() + t] != 0) {
                    System.arraycopy(hidden[b][t], 0, real, len * hid, hid);
                    len++;
                }
            }
            out[b] = pooling.embed(real, 0, len, hid);
        }
        return out;
    }

    /** The model's last_hidden_state [batch][seqLen][hidden], padding positions included. */
    public float[][][] lastHiddenState(TokenBatch batch) throws OrtException {
        long[] shape = {batch.batch(), batch.seqLen()};
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(toLong(batch.ids())), shape));
            in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(toLong(batch.mask())), shape));
            if (wantsTypeIds) {
                in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(toLong(batch.typeIds())), shape));
            }
            try (OrtSession.Result r = session.run(in)) {
                return (float[][][]) r.get(0).getValue();
            }
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    private static long[] toLong(int[] a) {
        long[] l = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            l[i] = a[i];
        }
        return l;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // nothing left to release
        }
    }
}
