package dev.spruce.cuda;

import dev.spruce.kernel.Op;
import dev.spruce.kernel.cuda.CudaBackend;
import dev.spruce.layout.BlockSparse;
import dev.spruce.layout.BlockSparseFixtures;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The block-sparse CUDA path's host side: row groups, argument checks before any native call, native validation. */
class BlockArgumentTest {

    @Test
    void rowGroupsListEveryKeptColumnOnceWithEachRowsBlock() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int[] c : new int[][] {{192, 128, 32, 32}, {192, 96, 16, 16}, {64, 256, 64, 32}, {384, 64, 64, 16}}) {
            try (BlockSparse s = BlockSparseFixtures.randomLayout(rnd, c[0], c[1], c[2], c[3], 0.4, DType.BF16)) {
                BlockRowGroups g = BlockRowGroups.of(s);
                int rowsPerGroup = 128 / c[2];
                assertEquals(rowsPerGroup, g.groupRows());
                assertEquals((s.blockRows() + rowsPerGroup - 1) / rowsPerGroup, g.groups());
                boolean[] keep = s.keepMask();
                int[] rowPtr = s.rowPointers();
                int[] cols = s.blockColumns();
                int seen = 0;
                for (int q = 0; q < g.groups(); q++) {
                    int prev = -1;
                    for (int e = g.groupPtr()[q]; e < g.groupPtr()[q + 1]; e++) {
                        int j = g.entryCol()[e];
                        assertTrue(j > prev, "entries sorted and unique");
                        prev = j;
                        boolean any = false;
                        for (int r = 0; r < rowsPerGroup; r++) {
                            int i = q * rowsPerGroup + r;
                            int blk = g.entryBlock()[e * rowsPerGroup + r];
                            boolean kept = i < s.blockRows() && keep[i * s.blockCols() + j];
                            if (kept) {
                                assertTrue(blk >= rowPtr[i] && blk < rowPtr[i + 1] && cols[blk] == j, "block index");
                                seen++;
                                any = true;
                            } else {
                                assertEquals(-1, blk);
                            }
                        }
                        assertTrue(any, "an entry holds at least one block");
                    }
                }
                assertEquals(s.blockCount(), seen, "every kept block appears once");
            }
        }
    }

    @Test
    void emptyMatrixHasNoEntries() {
        try (Matrix z = Matrix.allocate(256, 64, DType.F32); BlockSparse s = BlockSparse.fromDense(z, 32, 32, DType.BF16)) {
            BlockRowGroups g = BlockRowGroups.of(s);
            assertEquals(0, g.entries());
            assertArrayEquals(new int[] {0, 0, 0}, g.groupPtr());
        }
    }

    @Test
    void badInputIsRejectedBeforeCuda() {
        CudaBackend b = new CudaBackend();
        assertTrue(b.supports(Op.BLOCK_SPMM, DType.BF16));
        assertFalse(b.supports(Op.BLOCK_SPMM, DType.F32));
        SplittableRandom rnd = new SplittableRandom(1);
        try (BlockSparse f32 = BlockSparseFixtures.randomLayout(rnd, 64, 64, 32, 32, 0.5, DType.F32);
             BlockSparse odd = BlockSparseFixtures.randomLayout(rnd, 64, 64, 8, 8, 0.5, DType.BF16);
             BlockSparse ok = BlockSparseFixtures.randomLayout(rnd, 64, 64, 32, 32, 0.5, DType.BF16);
             Matrix x = Matrix.allocate(2, 64, DType.F32); Matrix xBad = Matrix.allocate(2, 48, DType.F32);
             Matrix y = Matrix.allocate(2, 64, DType.F32)) {
            UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class, () -> b.blockSpmm(f32, x, y));
            assertTrue(u.getMessage().contains("BLOCK_SPMM"), u.getMessage());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.blockSpmm(odd, x, y));
            assertTrue(e.getMessage().contains("16, 32 or 64"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> b.blockSpmm(ok, xBad, y));
            assertThrows(IllegalArgumentException.class, () -> b.blockSpmm(null, x, y));
            e = assertThrows(IllegalArgumentException.class, () -> DeviceBlockSparse.check(f32));
            assertTrue(e.getMessage().contains("bf16"), e.getMessage());
        }
    }

    /** Where the native library is built but no driver exists (the build machines): the C side validates too. */
    @Test
    void nativeLauncherValidatesWithoutTouchingTheDevice() {
        String r = Cuda.unavailableReason();
        assumeTrue(!Cuda.available() && r.contains("driver") && !r.contains("failed to load"),
                () -> "needs the built library on a machine without a CUDA driver; here: "
                        + (Cuda.available() ? "CUDA is available" : r));
        assertEquals(BlockNative.E_NULL, BlockNative.spruce_block_gemm(null, null, null, null, null, null, 64, 64, 1,
                32, 32, null));
        assertTrue(BlockNative.spruce_block_status_string(BlockNative.E_BLOCK).contains("16, 32 or 64"));
        assertTrue(BlockNative.spruce_block_status_string(BlockNative.E_SHAPE).contains("M % bh"));
        assertTrue(BlockNative.spruce_block_status_string(2).toLowerCase().contains("memory"));
    }
}
