package dev.spruce.cli.pipeline;

import dev.spruce.model.Linear;
import dev.spruce.model.ModelFormatException;
import dev.spruce.model.Pooling;
import dev.spruce.model.SentenceEncoder;
import dev.spruce.model.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackedModelTest {
    private static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "Congress shall make no law respecting an establishment of religion.",
            "A packed model must load back exactly as it was written.",
            "Short one.");

    @TempDir
    Path dir;

    /** Every layout at once: 2:4 packed (FFN), 2:8 dense with zeros (attention), untouched dense (layer 5). */
    private static PrunePlan mixedPlan() {
        return new PrunePlan(Method.MAGNITUDE, Sparsity.parse("2:4"), Map.of(LayerType.ATTENTION, Sparsity.parse("2:8")),
                List.of("layer.5."));
    }

    @Test
    void packedMiniLmLoadsBackBitForBit() throws Exception {
        SentenceEncoder dense = Shared.encoder();
        ModelPruner.Outcome out = ModelPruner.prune(dense.model(), Map.of(), mixedPlan(), Progress.none());
        Path file = dir.resolve("mixed.safetensors");
        try (SentenceEncoder pruned = dense.with(out.model())) {
            assertEquals(30, out.prunedCount());
            PackedModel.write(pruned.model(), ModelSource.embedded().tokenizerRef(), Pooling.MEAN, Map.of("method", "magnitude"), file);
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of(file), files.toList(), "only the final file is left, no temporary one");
            }
            try (SentenceEncoder loaded = PackedModel.load(file)) {
                List<String> kinds = loaded.model().linears().stream().map(Linear::kind).toList();
                assertEquals(kinds, pruned.model().linears().stream().map(Linear::kind).toList());
                assertEquals(10, kinds.stream().filter("sparse24"::equals).count());
                assertEquals(pruned.model().config(), loaded.model().config());
                // Every stored parameter comes back with the same bits.
                for (int i = 0; i < kinds.size(); i++) {
                    Linear x = pruned.model().linears().get(i);
                    Linear y = loaded.model().linears().get(i);
                    assertEquals(x.name(), y.name());
                    assertArrayEquals(bits(LayerLoss.weightsF32(x)), bits(LayerLoss.weightsF32(y)), x.name());
                }
                assertArrayEquals(bits(pruned.model().wordEmbeddings()), bits(loaded.model().wordEmbeddings()));
                assertEquals(pruned.model().attentionScale(), loaded.model().attentionScale());
                // Warm both up first: the vector 2:4 GEMV sums lanes with reduceLanes(ADD), whose order the
                // Vector API leaves unspecified, so interpreted and C2-compiled code may round differently;
                // once both models run the same compiled kernels their embeddings must agree bit for bit.
                float[][] a = null;
                float[][] b = null;
                for (int round = 0; round < 3; round++) {
                    a = pruned.embed(SENTENCES);
                    b = loaded.embed(SENTENCES);
                }
                for (int i = 0; i < a.length; i++) {
                    assertArrayEquals(bits(a[i]), bits(b[i]), "sentence " + i);
                }
                // and the pruning is real: the embeddings moved away from the dense ones
                assertFalse(Arrays.equals(dense.embed(SENTENCES.get(0)), a[0]));
            }
        }
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    @Test
    void poolingIsRecordedAndABadEntryIsNamed() throws Exception {
        SentenceEncoder dense = Shared.encoder();
        SentenceEncoder cls = new SentenceEncoder(dense.tokenizer(), dense.model(), Pooling.CLS);
        Path withCls = dir.resolve("cls.safetensors");
        Path withMean = dir.resolve("mean.safetensors");
        PackedModel.write(cls.model(), ModelSource.embedded().tokenizerRef(), Pooling.CLS, Map.of(), withCls);
        PackedModel.write(dense.model(), ModelSource.embedded().tokenizerRef(), Pooling.MEAN, Map.of(), withMean);
        List<String> s = List.of("The committee approved the budget.", "Rain again.");
        try (SentenceEncoder a = PackedModel.load(withCls); SentenceEncoder b = PackedModel.load(withMean)) {
            assertEquals(Pooling.CLS, a.pooling());
            assertEquals(Pooling.MEAN, b.pooling());
            float[][] want = cls.embed(s);
            float[][] got = a.embed(s);
            for (int i = 0; i < s.size(); i++) {
                assertArrayEquals(bits(want[i]), bits(got[i]), s.get(i));
            }
        }
        var bad = new java.util.HashMap<>(Map.of(PackedModel.POOLING_KEY, "max"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> PackedModel.pooling(bad));
        assertTrue(e.getMessage().contains("unknown pooling 'max'"), e.getMessage());
    }

    @Test
    void tokenizerTravelsInsideTheFile() throws Exception {
        SentenceEncoder dense = Shared.encoder();
        Path tok = dir.resolve("moved-away-tokenizer.json");
        Files.write(tok, ModelSource.tokenizerBytes(ModelSource.embedded().tokenizerRef()));
        Path file = dir.resolve("self-contained.safetensors");
        PackedModel.write(dense.model(), tok.toString(), Pooling.MEAN, Map.of(), file);
        Files.delete(tok);
        List<String> s = List.of("The tokenizer file is gone.", "Still loads.");
        try (SentenceEncoder loaded = PackedModel.load(file)) {
            float[][] want = dense.embed(s);
            float[][] got = loaded.embed(s);
            for (int i = 0; i < s.size(); i++) {
                assertArrayEquals(bits(want[i]), bits(got[i]), s.get(i));
            }
        }
    }

    @Test
    void filesFromBeforeTheEmbeddedTokenizerAndPoolingStillLoad() throws Exception {
        SentenceEncoder dense = Shared.encoder();
        Path now = dir.resolve("now.safetensors");
        Path old = dir.resolve("old.safetensors");
        PackedModel.write(dense.model(), ModelSource.embedded().tokenizerRef(), Pooling.MEAN, Map.of(), now);
        // The same file as the previous format wrote it: no tokenizer tensor, no pooling entry.
        try (var st = dev.spruce.layout.io.SafeTensorsReader.read(now)) {
            var w = new dev.spruce.layout.io.SafeTensorsWriter();
            for (String name : st.names()) {
                if (!name.equals(PackedModel.TOKENIZER_TENSOR)) {
                    var t = st.tensor(name);
                    w.put(name, t.dtype(), t.shape(), t.data());
                }
            }
            var meta = new java.util.LinkedHashMap<>(st.metadata());
            meta.remove(PackedModel.POOLING_KEY);
            w.metadata(meta).write(old);
        }
        List<String> s = List.of("An older file.", "Same embeddings.");
        try (SentenceEncoder a = PackedModel.load(now); SentenceEncoder b = PackedModel.load(old)) {
            assertEquals(Pooling.MEAN, b.pooling());
            float[][] x = a.embed(s);
            float[][] y = b.embed(s);
            for (int i = 0; i < s.size(); i++) {
                assertArrayEquals(bits(x[i]), bits(y[i]), s.get(i));
            }
        }
    }

    @Test
    void tinyModelRoundTripsAndTruncatedOrForeignFilesAreNamed() throws Exception {
        Path file = dir.resolve("tiny.safetensors");
        try (var m = TinyBert.create(8, 2, 16, 2, 7)) {
            PackedModel.write(m, ModelSource.embedded().tokenizerRef(), Pooling.MEAN, Map.of(), file);
        }
        try (var st = PackedModel.open(file)) {
            assertTrue(st.metadata().containsKey("layer.1.output"));
        }
        byte[] all = Files.readAllBytes(file);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(all, all.length - 100));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> PackedModel.load(cut));
        assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
        Path garbage = dir.resolve("garbage.safetensors");
        Files.write(garbage, "definitely not safetensors".getBytes());
        assertThrows(ModelFormatException.class, () -> PackedModel.load(garbage));
        e = assertThrows(ModelFormatException.class, () -> PackedModel.load(dir.resolve("missing.safetensors")));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
        Path foreign = dir.resolve("foreign.safetensors");
        new dev.spruce.layout.io.SafeTensorsWriter().put("x", dev.spruce.layout.io.TensorDType.F32, new long[] {1},
                new float[] {1}).write(foreign);
        e = assertThrows(ModelFormatException.class, () -> PackedModel.load(foreign));
        assertTrue(e.getMessage().contains("not a Spruce packed model"), e.getMessage());
    }

    @Test
    void armorModelRoundTripsBitForBit() throws Exception {
        Path file = dir.resolve("armor.safetensors");
        try (var m = TinyBert.create(16, 2, 32, 2, 3)) {
            Map<String, dev.spruce.calib.LayerStats> stats = new java.util.HashMap<>();
            for (Linear l : m.linears()) {
                int k = l.inFeatures();
                stats.put(l.name(), dev.spruce.prune.Fixtures.full(dev.spruce.prune.Fixtures.correlated(40, k, k), 40, k));
            }
            PrunePlan plan = PrunePlan.uniform(Method.ARMOR, Sparsity.parse("2:4"))
                    .withArmor(dev.spruce.prune.armor.ArmorConfig.defaults().withIterations(3));
            ModelPruner.Outcome out = ModelPruner.prune(m, stats, plan, Progress.none());
            try (var pruned = out.model()) {
                assertTrue(pruned.linears().stream().allMatch(l -> l.kind().equals("armor")));
                for (ModelPruner.LayerReport r : out.layers()) {
                    assertTrue(r.relativeLoss() >= 0 && r.relativeLoss() < 1, r.toString());
                }
                PackedModel.write(pruned, ModelSource.embedded().tokenizerRef(), Pooling.MEAN, Map.of(), file);
                try (var st = PackedModel.open(file); var loaded = PackedModel.model(st, file)) {
                    for (int i = 0; i < pruned.linears().size(); i++) {
                        Linear x = pruned.linears().get(i);
                        Linear y = loaded.linears().get(i);
                        assertEquals("armor", y.kind());
                        assertArrayEquals(bits(LayerLoss.weightsF32(x)), bits(LayerLoss.weightsF32(y)), x.name());
                        assertEquals(0.5, LayerLoss.zeroFraction(y), 0.01, "the 2:4 core of " + y.name());
                        float[] in = dev.spruce.prune.Fixtures.weights(3, x.inFeatures(), i);
                        try (var xm = dev.spruce.tensor.Matrix.of(in, 3, x.inFeatures());
                             var ya = dev.spruce.tensor.Matrix.allocate(3, x.outFeatures(), dev.spruce.tensor.DType.F32);
                             var yb = dev.spruce.tensor.Matrix.allocate(3, x.outFeatures(), dev.spruce.tensor.DType.F32)) {
                            x.forward(xm, ya);
                            y.forward(xm, yb);
                            assertArrayEquals(bits(ya.toFloatArray()), bits(yb.toFloatArray()), x.name());
                        }
                    }
                }
            }
        }
    }
}
