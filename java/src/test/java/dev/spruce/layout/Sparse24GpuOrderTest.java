package dev.spruce.layout;

import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Sparse24GpuOrderTest {

    /**
     * An independent transcription of CUTLASS {@code tools/util/include/cutlass/util/host_reorder.h::reorder_meta}
     * for 16-bit metadata (group 32, interweave 4), followed by the 2x2 "Z to N" swap and the
     * {@code ColumnMajorInterleaved<2>} placement (offset = (c/2) * 2M + 2r + c%2, in 16-bit elements).
     * Input: E as M x (K/16) row-major 16-bit words. Output: the 16-bit buffer CUTLASS's kernel reads.
     */
    static short[] cutlassReorderMeta(short[] e, int m, int cols16) {
        short[] dest = new short[m * cols16];
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < cols16; c++) {
                int destRow = r / 32 * 32 + (r % 8) * 4 + (r % 32) / 8;
                int destCol = c;
                if (destRow % 2 == 0 && destCol % 2 == 1) {
                    destRow++;
                    destCol--;
                } else if (destRow % 2 == 1 && destCol % 2 == 0) {
                    destRow--;
                    destCol++;
                }
                int offset = (destCol / 2) * 2 * m + 2 * destRow + (destCol % 2);
                dest[offset] = e[r * cols16 + c];
            }
        }
        return dest;
    }

    /** CUTLASS's 16-bit buffer as 32-bit words, re-nested from [kstep][row32-slab*32+lane] to [slab][kstep][lane]. */
    static int[] renest(short[] cutlass, int m, int k) {
        int ksteps = k / 32;
        int slabs = m / 32;
        int[] out = new int[m * k / 32];
        for (int ks = 0; ks < ksteps; ks++) {
            for (int slab = 0; slab < slabs; slab++) {
                for (int lane = 0; lane < 32; lane++) {
                    int cw = ks * m + 32 * slab + lane; // CUTLASS 32-bit word index
                    int word = (cutlass[2 * cw] & 0xffff) | ((cutlass[2 * cw + 1] & 0xffff) << 16);
                    out[(slab * ksteps + ks) * 32 + lane] = word;
                }
            }
        }
        return out;
    }

    @Test
    void gpuOrderEqualsCutlassReorderMetaRenested() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int[] mk : new int[][] {{32, 32}, {64, 96}, {128, 128}, {96, 256}}) {
            int m = mk[0];
            int k = mk[1];
            try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, m, k, DType.BF16)) {
                short[] e = s.codes().toArray(ValueLayout.JAVA_SHORT);
                int[] want = renest(cutlassReorderMeta(e, m, k / 16), m, k);
                assertArrayEquals(want, Sparse24GpuOrder.encode(s), m + "x" + k);
            }
        }
    }

    @Test
    void gpuOrderMatchesTheMmaSpLaneContract() {
        // Each lane 4g+2s+h of (slab, kstep) carries rows g and g+8 of tile s, k-half h (research note §1.2/§1.5).
        SplittableRandom rnd = new SplittableRandom(12);
        try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, 64, 64, DType.F16)) {
            int[] gpu = Sparse24GpuOrder.encode(s);
            for (int slab = 0; slab < 2; slab++) {
                for (int ks = 0; ks < 2; ks++) {
                    for (int lane = 0; lane < 32; lane++) {
                        int g = lane / 4;
                        int tile = (lane / 2) % 2;
                        int h = lane % 2;
                        int row = 32 * slab + 16 * tile + g;
                        int word = gpu[(slab * 2 + ks) * 32 + lane];
                        for (int j = 0; j < 4; j++) {
                            int group = 8 * ks + 4 * h + j; // logical k 32ks + 16h + 4j
                            assertEquals(s.code(row, group), (word >>> (4 * j)) & 0xf);
                            assertEquals(s.code(row + 8, group), (word >>> (16 + 4 * j)) & 0xf);
                        }
                    }
                }
            }
        }
    }

    @Test
    void decodeInvertsEncodeAndRebuildsTheLayout() {
        SplittableRandom rnd = new SplittableRandom(13);
        try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, 96, 160, DType.F32)) {
            int[] gpu = Sparse24GpuOrder.encode(s);
            assertArrayEquals(s.codes().toArray(ValueLayout.JAVA_SHORT), Sparse24GpuOrder.decode(96, 160, gpu));
            try (Sparse24 back = Sparse24GpuOrder.toLayout(96, 160, DType.F32, s.values(), gpu);
                 Matrix a = s.toDense(); Matrix b = back.toDense()) {
                assertArrayEquals(a.toFloatArray(), b.toFloatArray(), 0f);
            }
            // the segment variant writes the same words little-endian
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = arena.allocate(4L * gpu.length);
                Sparse24GpuOrder.encode(s, seg);
                assertArrayEquals(gpu, seg.toArray(ValueLayout.JAVA_INT));
            }
            // a corrupted GPU word is caught by the layout's validation
            int[] bad = gpu.clone();
            bad[5] &= ~0xF;
            assertThrows(IllegalArgumentException.class,
                    () -> Sparse24GpuOrder.toLayout(96, 160, DType.F32, s.values(), bad));
            assertThrows(IllegalArgumentException.class, () -> Sparse24GpuOrder.decode(96, 160, new int[3]));
        }
    }

    @Test
    void shapesNotMultipleOf32AreRejectedAndPaddingFixesThem() {
        SplittableRandom rnd = new SplittableRandom(14);
        try (Sparse24 s = Sparse24Fixtures.randomLayout(rnd, 40, 36, DType.BF16)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sparse24GpuOrder.encode(s));
            assertTrue(e.getMessage().contains("multiples of 32") && e.getMessage().contains("padTo"), e.getMessage());
            try (Sparse24 p = s.padTo(32, 32)) {
                assertEquals(64, p.rows());
                assertEquals(64, p.cols());
                int[] gpu = Sparse24GpuOrder.encode(p);
                assertEquals(64 * 64 / 32, gpu.length);
                assertArrayEquals(p.codes().toArray(ValueLayout.JAVA_SHORT), Sparse24GpuOrder.decode(64, 64, gpu));
            }
        }
    }
}
