package dev.spruce.cuda;

import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GPU test (skips with the reason without CUDA): device query, buffers, copies, errors, events. */
class CudaDeviceTest {

    @BeforeEach
    void needCuda() {
        GpuTestSupport.assumeCuda();
    }

    @Test
    void deviceQueryIsSane() {
        assertTrue(Cuda.deviceCount() >= 1);
        DeviceInfo d = Cuda.device(0);
        System.out.println(d.summary());
        assertFalse(d.name().isBlank());
        assertTrue(d.smCount() > 0 && d.ccMajor() >= 7, d.summary());
        assertTrue(d.totalMemory() > d.freeMemory() && d.freeMemory() > 0, d.summary());
        assertThrows(IllegalArgumentException.class, () -> Cuda.device(Cuda.deviceCount()));
    }

    @Test
    void matrixRoundTripsThroughDeviceInEveryDtype() {
        for (DType dt : DType.values()) {
            try (Matrix m = GpuTestSupport.random(37, 129, dt, 7);
                 DeviceMatrix d = DeviceMatrix.upload(m);
                 Matrix back = d.toMatrix()) {
                assertArrayEquals(m.toFloatArray(), back.toFloatArray(), dt.toString());
            }
        }
    }

    @Test
    void segmentCopiesRespectOffsetsAndBounds() {
        try (Arena a = Arena.ofConfined(); DeviceBuffer b = DeviceBuffer.allocate(64)) {
            MemorySegment src = a.allocate(16);
            for (int i = 0; i < 4; i++) {
                src.setAtIndex(ValueLayout.JAVA_INT, i, 100 + i);
            }
            b.fillBytes(0);
            b.copyFrom(src, 48);
            MemorySegment dst = a.allocate(64);
            b.copyTo(dst);
            assertEquals(0, dst.getAtIndex(ValueLayout.JAVA_INT, 0));
            assertEquals(103, dst.getAtIndex(ValueLayout.JAVA_INT, 15));
            assertThrows(IllegalArgumentException.class, () -> b.copyFrom(src, 49));
            assertThrows(IllegalArgumentException.class, () -> b.copyTo(a.allocate(65)));
            try (DeviceBuffer c = DeviceBuffer.allocate(64)) {
                c.copyFrom(b);
                MemorySegment d2 = a.allocate(64);
                c.copyTo(d2);
                assertEquals(-1L, d2.mismatch(dst));
            }
            try (Matrix wrong = Matrix.allocate(4, 5, DType.F32)) {
                assertThrows(IllegalArgumentException.class, () -> b.copyFrom(wrong));
            }
        }
    }

    @Test
    void closedBufferIsRejectedAndCloseIsIdempotent() {
        DeviceBuffer b = DeviceBuffer.allocate(32);
        b.close();
        b.close();
        assertThrows(IllegalStateException.class, () -> b.fillBytes(0));
        assertThrows(IllegalStateException.class, b::pointer);
    }

    @Test
    void cudaFailureBecomesExceptionNamingTheCall() {
        CudaException e = assertThrows(CudaException.class, () -> DeviceBuffer.allocate(1L << 50));
        assertEquals("cudaMalloc", e.call());
        assertTrue(e.status() > 0, e.getMessage());
        assertTrue(e.getMessage().contains("cudaMalloc") && e.getMessage().contains("memory"), e.getMessage());
        // the failure must not poison later calls
        try (DeviceBuffer ok = DeviceBuffer.allocate(16)) {
            ok.fillBytes(1);
        }
    }

    @Test
    void poisonAndConvertWork() {
        try (DeviceMatrix d = DeviceMatrix.allocate(3, 5, DType.BF16)) {
            d.poison();
            try (Matrix h = d.toMatrix()) {
                for (float v : h.toFloatArray()) {
                    assertTrue(Float.isNaN(v));
                }
            }
            d.fillUniform(42, 2f);
            try (DeviceMatrix f = d.convert(DType.F32); Matrix a = d.toMatrix(); Matrix b = f.toMatrix()) {
                assertArrayEquals(a.toFloatArray(), b.toFloatArray());
                for (float v : b.toFloatArray()) {
                    assertTrue(v >= -2f && v <= 2f, "value " + v);
                }
            }
        }
    }

    @Test
    void eventsMeasurePositiveTime() {
        try (GpuTimer t = new GpuTimer(); DeviceBuffer b = DeviceBuffer.allocate(64 << 20)) {
            double ms = t.time(() -> b.fillBytes(3), 1, 5);
            assertTrue(ms > 0 && ms < 1000, "ms=" + ms);
        }
    }
}
