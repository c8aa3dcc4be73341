package dev.spruce.layout;

import dev.spruce.layout.io.SafeTensorsWriter;
import dev.spruce.layout.io.TensorDType;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArmorLayoutTest {
    @TempDir
    Path dir;

    @Test
    void toDenseIsTheTripleProduct() {
        SplittableRandom rnd = new SplittableRandom(7);
        int m = 12;
        int k = 16;
        try (ArmorLayout l = ArmorFixtures.random(rnd, m, k, 4, 8, DType.F32, false);
             Matrix a = l.a().toDense(); Matrix s = l.core().toDense(); Matrix b = l.b().toDense();
             Matrix w = l.toDense()) {
            for (int r = 0; r < m; r++) {
                for (int c = 0; c < k; c++) {
                    double acc = 0;
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < k; j++) {
                            acc += (double) a.get(r, i) * s.get(i, j) * b.get(j, c);
                        }
                    }
                    assertEquals((float) acc, w.get(r, c), 1e-6 * (1 + Math.abs(acc)), "(" + r + ", " + c + ")");
                }
            }
        }
    }

    @Test
    void identityWrappersGiveTheCore() {
        SplittableRandom rnd = new SplittableRandom(3);
        try (ArmorLayout l = ArmorLayout.of(BlockDiagonal.identity(8, 4), Sparse24Fixtures.randomLayout(rnd, 8, 32,
                DType.BF16), BlockDiagonal.identity(32, 16), null);
             Matrix w = l.toDense(); Matrix s = l.core().toDense()) {
            assertArrayEquals(s.toFloatArray(), w.toFloatArray());
        }
    }

    @Test
    void costsAreCounted() {
        SplittableRandom rnd = new SplittableRandom(5);
        try (ArmorLayout l = ArmorFixtures.random(rnd, 32, 64, 8, 16, DType.BF16, true)) {
            assertEquals(8L * 32 + 32L * 64 / 2 + 16L * 64, l.multiplyAdds());
            assertEquals(4L * 32 * 8 + l.core().byteSize() + 4L * 64 * 16 + 4L * 32, l.byteSize());
            assertEquals((8.0 * 32 + 16 * 64) / (32 * 64 / 2.0), l.wrapperOverhead(), 1e-12);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void saveLoadRoundTripsBitForBit(DType dt) throws IOException {
        for (boolean bias : new boolean[] {false, true}) {
            SplittableRandom rnd = new SplittableRandom(11);
            Path p = dir.resolve("armor-" + dt + bias + ".safetensors");
            try (ArmorLayout l = ArmorFixtures.random(rnd, 24, 40, 8, 4, dt, bias)) {
                l.save(p);
                try (ArmorLayout r = ArmorLayout.load(p)) {
                    assertEquals(l.shapeString(), r.shapeString());
                    assertEquals(8, r.a().blockSize());
                    assertEquals(4, r.b().blockSize());
                    assertEquals(dt, r.core().valueType());
                    assertArrayEquals(l.a().toArray(), r.a().toArray());
                    assertArrayEquals(l.b().toArray(), r.b().toArray());
                    assertEquals(l.core().values().mismatch(r.core().values()), -1L);
                    assertEquals(l.core().codes().mismatch(r.core().codes()), -1L);
                    if (bias) {
                        assertArrayEquals(l.bias(), r.bias());
                    } else {
                        assertNull(r.bias());
                    }
                }
            }
        }
    }

    @Test
    void severalLayoutsShareOneFileUnderPrefixes() throws IOException {
        SplittableRandom rnd = new SplittableRandom(12);
        Path p = dir.resolve("model.safetensors");
        try (ArmorLayout q = ArmorFixtures.random(rnd, 32, 64, 16, 32, DType.BF16, true);
             ArmorLayout f = ArmorFixtures.random(rnd, 64, 32, 8, 4, DType.F32, false)) {
            SafeTensorsWriter w = new SafeTensorsWriter();
            q.putTensors(w, "layer.0.q.");
            f.putTensors(w, "layer.0.ffn.");
            w.write(p);
            try (dev.spruce.layout.io.SafeTensors st = dev.spruce.layout.io.SafeTensorsReader.read(p);
                 ArmorLayout q2 = ArmorLayout.fromTensors(st, "layer.0.q.", q.bias());
                 ArmorLayout f2 = ArmorLayout.fromTensors(st, "layer.0.ffn.", null)) {
                assertEquals(16, q2.a().blockSize());
                assertEquals(32, q2.b().blockSize());
                assertEquals(4, f2.b().blockSize());
                assertArrayEquals(q.bias(), q2.bias());
                try (Matrix a = q.toDense(); Matrix b = q2.toDense(); Matrix c = f.toDense(); Matrix d = f2.toDense()) {
                    assertArrayEquals(a.toFloatArray(), b.toFloatArray());
                    assertArrayEquals(c.toFloatArray(), d.toFloatArray());
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> ArmorLayout.fromTensors(st, "layer.1.", null));
                assertTrue(e.getMessage().contains("layer.1.a_blocks"), e.getMessage());
            }
        }
    }

    @Test
    void rejectsMismatchedParts() {
        SplittableRandom rnd = new SplittableRandom(2);
        try (BlockDiagonal a = ArmorFixtures.randomBlocks(rnd, 8, 4);
             BlockDiagonal b = ArmorFixtures.randomBlocks(rnd, 16, 4);
             Sparse24 s = Sparse24Fixtures.randomLayout(rnd, 8, 32, DType.F32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ArmorLayout.of(a, s, b, null));
            assertTrue(e.getMessage().contains("B is 16x16"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ArmorLayout.of(b, s, a, null));
            assertTrue(e.getMessage().contains("A is 16x16"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ArmorLayout.of(null, s, b, null));
        }
        try (BlockDiagonal a = ArmorFixtures.randomBlocks(rnd, 8, 4);
             BlockDiagonal b = ArmorFixtures.randomBlocks(rnd, 32, 4);
             Sparse24 s = Sparse24Fixtures.randomLayout(rnd, 8, 32, DType.F32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ArmorLayout.of(a, s, b, new float[7]));
            assertTrue(e.getMessage().contains("bias has 7"), e.getMessage());
            float[] nan = new float[8];
            nan[3] = Float.NaN;
            assertThrows(IllegalArgumentException.class, () -> ArmorLayout.of(a, s, b, nan));
        }
    }

    @Test
    void closingTheLayoutClosesItsParts() {
        ArmorLayout l = ArmorFixtures.random(new SplittableRandom(1), 8, 16, 4, 4, DType.F32, false);
        Sparse24 core = l.core();
        l.close();
        assertTrue(core.isClosed());
        assertThrows(IllegalStateException.class, l::toDense);
    }

    @Test
    void rejectsTruncatedAndInconsistentFiles() throws IOException {
        SplittableRandom rnd = new SplittableRandom(13);
        Path good = dir.resolve("good.safetensors");
        try (ArmorLayout l = ArmorFixtures.random(rnd, 16, 32, 8, 8, DType.BF16, true)) {
            l.save(good);
        }
        byte[] bytes = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 10));
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> ArmorLayout.load(cut));
        assertTrue(t.getMessage().contains("cut.safetensors"), t.getMessage());

        // Metadata that disagrees with the tensors: a block size that does not match a_blocks' shape.
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("spruce.layout", "armor");
        meta.put("product", "A*S*B");
        meta.put("rows", "16");
        meta.put("cols", "32");
        meta.put("a_block", "4");
        meta.put("b_block", "8");
        meta.put("wrapper_dtype", "F32");
        meta.put("value_dtype", "BF16");
        meta.put("pattern", "2:4");
        meta.put("code_order", "row-major-nibble");
        meta.put("bias", "false");
        Path bad = dir.resolve("bad.safetensors");
        new SafeTensorsWriter().metadata(meta)
                .put("a_blocks", TensorDType.F32, new long[] {2, 8, 8}, new float[128])
                .put("core_values", TensorDType.BF16, new long[] {16, 16}, new short[256])
                .put("core_codes", TensorDType.I16, new long[] {16, 2}, new short[32])
                .put("b_blocks", TensorDType.F32, new long[] {4, 8, 8}, new float[256])
                .write(bad);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArmorLayout.load(bad));
        assertTrue(e.getMessage().contains("a_blocks"), e.getMessage());

        // A Sparse24 file is not an ARMOR file.
        Path sp = dir.resolve("sp.safetensors");
        try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, 8, 16, DType.F32)) {
            s.save(sp);
        }
        e = assertThrows(IllegalArgumentException.class, () -> ArmorLayout.load(sp));
        assertTrue(e.getMessage().contains("armor"), e.getMessage());
    }
}
