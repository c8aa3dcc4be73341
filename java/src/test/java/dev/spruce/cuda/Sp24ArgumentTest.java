package dev.spruce.cuda;

import dev.spruce.kernel.Op;
import dev.spruce.kernel.cuda.CudaBackend;
import dev.spruce.layout.Sparse24;
import dev.spruce.layout.Sparse24Fixtures;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Argument checks of the 2:4 CUDA path: they must fire on every machine, before any native call. */
class Sp24ArgumentTest {

    @Test
    void backendAdvertisesOnlySixteenBitTwoFour() {
        CudaBackend b = new CudaBackend();
        assertTrue(b.supports(Op.SPMM24, DType.BF16));
        assertTrue(b.supports(Op.SPMV24, DType.F16));
        assertFalse(b.supports(Op.SPMM24, DType.F32));
    }

    @Test
    void badInputIsRejectedBeforeCuda() {
        CudaBackend b = new CudaBackend();
        SplittableRandom rnd = new SplittableRandom(1);
        try (Sparse24 f32 = Sparse24Fixtures.randomLayout(rnd, 32, 32, DType.F32);
             Sparse24 bf = Sparse24Fixtures.randomLayout(rnd, 32, 32, DType.BF16);
             Matrix x = Matrix.allocate(2, 32, DType.F32);
             Matrix xBad = Matrix.allocate(2, 31, DType.F32);
             Matrix y = Matrix.allocate(2, 32, DType.F32)) {
            UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class, () -> b.spmm24(f32, x, y));
            assertTrue(u.getMessage().contains("SPMM24"), u.getMessage());
            assertThrows(IllegalArgumentException.class, () -> b.spmm24(bf, xBad, y));
            assertThrows(IllegalArgumentException.class, () -> b.spmm24(null, x, y));
        }
    }

    @Test
    void deviceLayoutRulesNameTheFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceSparse24.check(48, 64, DType.BF16));
        assertTrue(e.getMessage().contains("padTo(32, 32)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DeviceSparse24.check(64, 64, DType.F32));
        assertTrue(e.getMessage().contains("bf16 or f16"), e.getMessage());
        DeviceSparse24.check(64, 96, DType.F16);
    }

    /** Where the native library is built but no driver exists (the build machines): the C side validates too. */
    @Test
    void nativeLaunchersValidateWithoutTouchingTheDevice() {
        String r = Cuda.unavailableReason();
        assumeTrue(!Cuda.available() && r.contains("driver") && !r.contains("failed to load"),
                () -> "needs the built library on a machine without a CUDA driver; here: "
                        + (Cuda.available() ? "CUDA is available" : r));
        assertEquals(Sp24Native.E_NULL, Sp24Native.spruce_sp24_gemm(null, null, null, null, 32, 32, 1,
                Sp24Native.BF16, Sp24Native.F32, null, 0, null));
        assertTrue(Sp24Native.spruce_sp24_status_string(Sp24Native.E_NULL).contains("NULL"));
        assertTrue(Sp24Native.spruce_sp24_status_string(Sp24Native.E_SHAPE).contains("32"));
        assertTrue(Sp24Native.spruce_sp24_status_string(2).toLowerCase().contains("memory"));
        // plan sizing works without a device (it assumes 132 SMs): decode on 4096x11008 splits K
        assertTrue(Sp24Native.spruce_sp24_workspace_bytes(4096, 11008, 1) > 0);
        assertEquals(0, Sp24Native.spruce_sp24_workspace_bytes(48, 64, 1));
    }
}
