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
 * in-process MiniLM does, then mean-pools over the mask and L2-normalises.
 */
public final class OrtSentenceEncoder implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final WordPieceTokenizer tokenizer;
    private final boolean wantsTypeIds;

    /**
     * @param onnx      the model bytes
     * @param threads   intra-op threads (the benchmarks use the same count as the Java backend)
     */
    public OrtSentenceEncoder(byte[] onnx, WordPieceTokenizer tokenizer, int threads) throws ModelFormatException {
        this.env = OrtEnvironment.getEnvironment();
        this.tokenizer = tokenizer;
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

    /** Mean-pooled, L2-normalised embeddings of a padded batch. */
    public float[][] embed(TokenBatch batch) throws OrtException {
        float[][][] hidden = lastHiddenState(batch);
        int hid = hidden[0][0].length;
        float[][] out = new float[batch.batch()][hid];
        for (int b = 0; b < batch.batch(); b++) {
            int count = 0;
            for (int t = 0; t < batch.seqLen(); t++) {
                if (batch.mask()[b * batch.seqLen() + t] != 0) {
                    count++;
                    for (int c = 0; c < hid; c++) {
                        out[b][c] += hidden[b][t][c];
                    }
                }
            }
            double norm = 0;
            for (int c = 0; c < hid; c++) {
                out[b][c] /= count;
                norm += (double) out[b][c] * out[b][c];
            }
            float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
            for (int c = 0; c < hid; c++) {
                out[b][c] *= inv;
            }
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
