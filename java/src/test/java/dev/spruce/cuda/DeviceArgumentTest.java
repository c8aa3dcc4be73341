package dev.spruce.cuda;

import dev.spruce.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs everywhere: bad arguments are rejected in Java before any native call (no GPU needed to see it). */
class DeviceArgumentTest {

    @Test
    void badSizesAreRejectedBeforeNativeCode() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceBuffer.allocate(0));
        assertTrue(e.getMessage().contains("positive"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DeviceBuffer.allocate(-8));
        assertThrows(IllegalArgumentException.class, () -> DeviceMatrix.allocate(0, 4, DType.F32));
        assertThrows(IllegalArgumentException.class, () -> DeviceMatrix.allocate(4, -1, DType.BF16));
        assertThrows(IllegalArgumentException.class, () -> DeviceMatrix.allocate(4, 4, null));
        assertThrows(IllegalArgumentException.class, () -> DeviceBuffer.of(null));
        assertThrows(IllegalArgumentException.class, () -> DeviceMatrix.upload(null));
    }

    @Test
    void closedHostMatrixIsRejected() {
        var m = dev.spruce.tensor.Matrix.allocate(2, 2, DType.F32);
        m.close();
        assertThrows(IllegalStateException.class, () -> DeviceMatrix.upload(m));
    }

    @Test
    void gemmShapeChecksNeedNoDevice() {
        assertThrows(IllegalArgumentException.class, () -> CudaKernels.checkGemm(null, null, null, null, null));
    }

    @Test
    void heapSegmentsHaveNoAddress() {
        assertThrows(IllegalArgumentException.class, () -> Pointers.of(MemorySegment.ofArray(new float[4])));
        assertThrows(IllegalArgumentException.class, () -> Pointers.of(null));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(64);
            assertTrue(Pointers.of(s).address() == s.address());
            assertTrue(Pointers.of(s).limit() == 64);
        }
    }

    @Test
    void validMemoryWithoutCudaSaysWhy() {
        if (Cuda.available()) {
            return;
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DeviceBuffer.allocate(64));
        assertTrue(e.getMessage().contains(Cuda.unavailableReason()), e.getMessage());
    }
}
