package dev.spruce.model;

import dev.spruce.model.tokenizer.TokenBatch;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinearTapTest {

    @Test
    void tapSeesEveryLinearInputWithoutPadding() throws Exception {
        SentenceEncoder enc = Shared.encoder();
        TokenBatch tb = enc.tokenizer().batch(List.of("A much longer sentence than the other one in this batch.", "Short."));
        Map<String, float[]> seen = new LinkedHashMap<>();
        List<Integer> rows = new ArrayList<>();
        enc.model().embed(tb, (name, x) -> {
            seen.put(name, x.toFloatArray());
            rows.add(x.rows());
        });
        assertEquals(36, seen.size());
        assertEquals(enc.model().linears().stream().map(Linear::name).toList(), List.copyOf(seen.keySet()));
        for (int r : rows) {
            assertEquals(tb.realTokens(), r);
        }
        assertEquals(1536, seen.get("encoder.layer.2.output.dense").length / tb.realTokens());
        // query, key and value read the same input
        assertArrayEquals(seen.get("encoder.layer.1.attention.self.query"), seen.get("encoder.layer.1.attention.self.value"));

        // the short sentence's rows are what it gives alone: padding never leaks into a layer's input
        Map<String, float[]> alone = new LinkedHashMap<>();
        enc.model().embed(enc.tokenizer().batch(List.of("Short.")), (name, x) -> alone.put(name, x.toFloatArray()));
        float[] batched = seen.get("encoder.layer.3.intermediate.dense");
        float[] single = alone.get("encoder.layer.3.intermediate.dense");
        int hid = 384;
        int start = tb.lengths()[0] * hid;
        for (int i = 0; i < single.length; i++) {
            assertEquals(single[i], batched[start + i], 1e-4f, "element " + i);
        }
    }

    @Test
    void aTapMayRunTheModelAgainOnTheSameThread() throws Exception {
        // The forward reuses per-thread activation matrices; a nested forward from inside a tap must get its own
        // and leave the outer one's intact.
        SentenceEncoder enc = Shared.encoder();
        TokenBatch outer = enc.tokenizer().batch(List.of("The outer sentence is a little longer than the inner one."));
        TokenBatch inner = enc.tokenizer().batch(List.of("Inner sentence."));
        float[][] plainOuter = enc.model().embed(outer);
        float[][] plainInner = enc.model().embed(inner);
        List<float[][]> nested = new ArrayList<>();
        float[][] tapped = enc.model().embed(outer, (name, x) -> {
            if (name.equals("encoder.layer.2.intermediate.dense")) {
                nested.add(enc.model().embed(inner));
            }
        });
        assertArrayEquals(plainOuter[0], tapped[0], 0f);
        assertArrayEquals(plainInner[0], nested.get(0)[0], 0f);
    }

    @Test
    void linearsArePluggable() throws Exception {
        SentenceEncoder enc = Shared.encoder();
        String s = "The economy grew faster than expected last year.";
        float[] dense = enc.embed(s);
        // a wrapper that delegates gives the same embedding; one that zeroes the FFN output changes it
        BertModel same = enc.model().withLinears(l -> new Delegating(l, false));
        BertModel zeroed = enc.model().withLinears(l -> l.name().endsWith("5.output.dense") ? new Delegating(l, true) : l);
        assertEquals(1.0, Shared.cosine(dense, enc.with(same).embed(s)), 1e-7);
        assertTrue(Shared.cosine(dense, enc.with(zeroed).embed(s)) < 0.999);
        assertThrows(IllegalArgumentException.class, () -> enc.model().withLinears(
                l -> l.name().endsWith("query") ? new Delegating(enc.model().linears().get(4), false) : l));
    }

    /** Runs another Linear (optionally zeroing its output); does not own it. */
    private record Delegating(Linear inner, boolean zero) implements Linear {
        public String name() {
            return inner.name();
        }

        public int inFeatures() {
            return inner.inFeatures();
        }

        public int outFeatures() {
            return inner.outFeatures();
        }

        public String kind() {
            return "test";
        }

        public long bytes() {
            return inner.bytes();
        }

        public void forward(Matrix x, Matrix y) {
            inner.forward(x, y);
            if (zero) {
                y.fill(0f);
            }
        }

        public void close() {
        }
    }
}
