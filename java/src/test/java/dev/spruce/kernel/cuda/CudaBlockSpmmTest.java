package dev.spruce.kernel.cuda;

import dev.spruce.cuda.BlockKernels;
import dev.spruce.cuda.BlockNative;
import dev.spruce.cuda.DeviceBlockSparse;
import dev.spruce.cuda.DeviceMatrix;
import dev.spruce.cuda.GpuTestSupport;
import dev.spruce.layout.BlockSparse;
import dev.spruce.layout.BlockSparseFixtures;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU test (skips with the reason without CUDA): the mma.sync block-sparse kernel against a float64 product of the
 * layout's exact toDense() and the bf16-rounded activations, every block size, both token tilings, partial row
 * groups, empty block rows and token tails; outputs poisoned with NaN first.
 */
class CudaBlockSpmmTest {
    private static final int[][] CASES = { // m, k, bh, bw, n, density%
            {128, 128, 32, 32, 1, 50}, {192, 256, 32, 32, 40, 50}, {192, 96, 16, 16, 33, 60}, {192, 256, 64, 64, 130, 80},
            {128, 160, 64, 32, 9, 70}, {256, 192, 32, 64, 300, 40}, {128, 64, 16, 32, 5, 100}, {64, 128, 16, 64, 17, 0},
            {1024, 2048, 32, 32, 300, 20}}; // the last: several row groups and token tiles, automatic tiling

    private final CudaBackend cuda = new CudaBackend();

    @BeforeEach
    void needCuda() {
        GpuTestSupport.assumeCuda();
    }

    @Test
    void hostPathMatchesFloat64() {
        SplittableRandom rnd = new SplittableRandom(77);
        for (int[] c : CASES) {
            try (BlockSparse s = BlockSparseFixtures.randomLayout(rnd, c[0], c[1], c[2], c[3], c[5] / 100.0, DType.BF16);
                 Matrix dense = s.toDense();
                 Matrix x = GpuTestSupport.random(c[4], c[1], DType.F32, 5L * c[4] + c[1]);
                 Matrix xr = x.convert(DType.BF16).convert(DType.F32);
                 Matrix y = Matrix.allocate(c[4], c[0], DType.F32)) {
                y.fill(Float.NaN);
                cuda.blockSpmm(s, xr, y);
                double err = GpuTestSupport.relErr(y.toFloatArray(), GpuTestSupport.reference(dense, xr));
                assertTrue(err <= 1e-5 || (c[5] == 0 && err == 0), s + " n=" + c[4] + ": rel err " + err);
            }
        }
    }

    @Test
    void bothTokenTilingsAgree() {
        SplittableRandom rnd = new SplittableRandom(78);
        try (BlockSparse s = BlockSparseFixtures.randomLayout(rnd, 256, 512, 32, 32, 0.5, DType.BF16);
             Matrix dense = s.toDense();
             Matrix x = GpuTestSupport.random(70, 512, DType.BF16, 9);
             Matrix xf = x.convert(DType.F32);
             DeviceBlockSparse ds = cuda.upload(s);
             DeviceMatrix dx = DeviceMatrix.upload(x);
             DeviceMatrix dy = DeviceMatrix.allocate(70, 256, DType.F32)) {
            double[] ref = GpuTestSupport.reference(dense, xf);
            for (int kernel : new int[] {BlockNative.KERNEL_SMALL, BlockNative.KERNEL_MEDIUM, BlockNative.KERNEL_LARGE}) {
                dy.poison();
                BlockKernels.blockSpmm(ds, dx, dy, kernel);
                try (Matrix y = dy.toMatrix()) {
                    double err = GpuTestSupport.relErr(y.toFloatArray(), ref);
                    assertTrue(err <= 1e-5, "kernel " + kernel + ": rel err " + err);
                }
            }
        }
    }
}
