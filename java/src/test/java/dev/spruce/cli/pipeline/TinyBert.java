package dev.spruce.cli.pipeline;

import dev.spruce.model.Activation;
import dev.spruce.model.BertConfig;
import dev.spruce.model.BertModel;
import dev.spruce.model.DenseLinear;
import dev.spruce.model.LayerNorm;
import dev.spruce.model.Linear;
import dev.spruce.tensor.Matrix;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A tiny random BERT (any hidden size), for tests that need odd shapes without the real model. */
final class TinyBert {
    private TinyBert() {
    }

    static BertModel create(int hidden, int heads, int inter, int layers, long seed) {
        return create(hidden, heads, inter, layers, seed, 50, 16);
    }

    /** With a vocabulary and position table large enough for a real tokenizer's sentences. */
    static BertModel create(int hidden, int heads, int inter, int layers, long seed, int vocab, int positions) {
        Random r = new Random(seed);
        BertConfig c = new BertConfig(hidden, heads, layers, inter, vocab, positions, 2, 1e-12f, Activation.GELU_ERF);
        List<BertModel.Layer> list = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            String p = "encoder.layer." + i + ".";
            list.add(new BertModel.Layer(lin(p + "attention.self.query", hidden, hidden, r),
                    lin(p + "attention.self.key", hidden, hidden, r), lin(p + "attention.self.value", hidden, hidden, r),
                    lin(p + "attention.output.dense", hidden, hidden, r), lin(p + "intermediate.dense", inter, hidden, r),
                    lin(p + "output.dense", hidden, inter, r), norm(hidden, r), norm(hidden, r)));
        }
        return BertModel.assemble(c, rand(vocab * hidden, r), rand(positions * hidden, r), rand(2 * hidden, r),
                norm(hidden, r), list, (float) Math.sqrt(hidden / heads));
    }

    private static Linear lin(String name, int out, int in, Random r) {
        return new DenseLinear(name, Matrix.of(rand(out * in, r), out, in), rand(out, r));
    }

    private static LayerNorm norm(int n, Random r) {
        float[] g = rand(n, r);
        for (int i = 0; i < n; i++) {
            g[i] += 1;
        }
        return new LayerNorm(g, rand(n, r), 1e-12f);
    }

    private static float[] rand(int n, Random r) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * 0.2);
        }
        return a;
    }
}
