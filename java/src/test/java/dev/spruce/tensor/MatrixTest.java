package dev.spruce.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatrixTest {

    @ParameterizedTest
    @EnumSource(DType.class)
    void everyMatrixIs64ByteAligned(DType dt) {
        for (int[] s : new int[][] {{1, 1}, {1, 3}, {3, 7}, {17, 5}, {64, 64}, {1, 4099}}) {
            try (Matrix m = Matrix.allocate(s[0], s[1], dt)) {
                assertEquals(0, m.segment().address() % 64, dt + " " + m.shapeString());
                assertEquals((long) s[0] * s[1] * dt.bytes(), m.byteSize());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void valuesRoundToTheDtype(DType dt) {
        float[] data = {0f, -0f, 1f, -2.5f, 1f + 0x1p-9f, 65519f, 1e-7f, Float.NaN, Float.POSITIVE_INFINITY, 3.14159f};
        try (Matrix m = Matrix.of(data, 2, 5, dt)) {
            float[] back = m.toFloatArray();
            for (int i = 0; i < data.length; i++) {
                assertEquals(HalfFloats.roundTo(dt, data[i]), back[i], 0f, dt + " element " + i);
                assertEquals(back[i], m.get(i / 5, i % 5), 0f);
            }
            assertArrayEquals(new float[] {back[5], back[6], back[7], back[8], back[9]}, m.row(1));
        }
    }

    @Test
    void shapeAndDataChecks() {
        assertThrows(IllegalArgumentException.class, () -> Matrix.allocate(0, 3, DType.F32));
        assertThrows(IllegalArgumentException.class, () -> Matrix.allocate(3, -1, DType.F32));
        assertThrows(IllegalArgumentException.class, () -> Matrix.allocate(2, 2, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Matrix.of(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("5") && e.getMessage().contains("2x3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Matrix.of(null, 1, 1));
        try (Matrix m = Matrix.allocate(2, 3, DType.BF16)) {
            assertThrows(IllegalArgumentException.class, () -> m.copyFrom(new float[7]));
        }
    }

    @Test
    void boundsChecks() {
        try (Matrix m = Matrix.allocate(2, 3, DType.F16)) {
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(2, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(0, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(-1, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> m.set(0, -1, 1f));
            assertThrows(IndexOutOfBoundsException.class, () -> m.row(2));
            m.set(1, 2, 5f);
            assertEquals(5f, m.get(1, 2));
        }
    }

    @Test
    void closedMatrixRefusesEveryAccess() {
        Matrix m = Matrix.allocate(4, 4, DType.F32);
        m.close();
        assertTrue(m.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, m::segment);
        assertTrue(e.getMessage().contains("closed") && e.getMessage().contains("4x4"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> m.get(0, 0));
        assertThrows(IllegalStateException.class, () -> m.set(0, 0, 1f));
        assertThrows(IllegalStateException.class, m::toFloatArray);
        assertThrows(IllegalStateException.class, () -> m.row(0));
        assertThrows(IllegalStateException.class, () -> m.fill(1f));
        assertThrows(IllegalStateException.class, m::transpose);
        assertDoesNotThrow(m::close, "close is idempotent");
    }

    @Test
    void transposeAndConvert() {
        float[] data = {1, 2, 3, 4, 5, 6};
        try (Matrix m = Matrix.of(data, 2, 3); Matrix t = m.transpose(); Matrix b = m.convert(DType.BF16)) {
            assertEquals(3, t.rows());
            assertEquals(2, t.cols());
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, t.toFloatArray());
            assertEquals(DType.BF16, b.dtype());
            assertArrayEquals(data, b.toFloatArray());
        }
    }

    @Test
    void addToRowsAddsTheVectorToEveryRowAndChecksIt() {
        try (Matrix m = Matrix.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)) {
            m.addToRows(new float[] {10, 20, 30});
            org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, m.toFloatArray());
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> m.addToRows(new float[2]));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("needs 3 values, got 2"), e.getMessage());
        }
        try (Matrix h = Matrix.allocate(2, 3, DType.BF16)) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> h.addToRows(new float[3]));
        }
    }

    @Test
    void topRowsIsAViewThatFollowsItsParent() {
        Matrix m = Matrix.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Matrix top = m.topRows(2);
        org.junit.jupiter.api.Assertions.assertEquals("2x2", top.shapeString());
        top.set(1, 1, 40f);
        org.junit.jupiter.api.Assertions.assertEquals(40f, m.get(1, 1)); // shared memory
        top.close();                                                     // frees nothing
        org.junit.jupiter.api.Assertions.assertEquals(40f, m.get(1, 1));
        Matrix again = m.topRows(3);
        m.close();
        org.junit.jupiter.api.Assertions.assertTrue(again.isClosed());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> again.get(0, 0));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> m.topRows(1));
        try (Matrix p = Matrix.allocate(2, 2, DType.F32)) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> p.topRows(0));
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> p.topRows(3));
        }
    }

    @Test
    void scratchMatricesAreZeroedAndCloseWithoutFreeing() {
        Matrix s = Matrix.scratch(4, 5, DType.F32);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[20], s.toFloatArray());
        s.close();
        s.close(); // idempotent, no UnsupportedOperationException from the automatic arena
        org.junit.jupiter.api.Assertions.assertTrue(s.isClosed());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> s.get(0, 0));
    }

    @Test
    void productsRefuseInputAndOutputThatOverlap() {
        try (Matrix w = Matrix.allocate(4, 4, DType.F32); Matrix big = Matrix.allocate(4, 4, DType.F32)) {
            Matrix x = big.topRows(2);
            Matrix y = big.topRows(3);
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new dev.spruce.kernel.scalar.ScalarBackend(1).gemm(w, x, y.topRows(2)));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("overlap"), e.getMessage());
        }
    }
}
