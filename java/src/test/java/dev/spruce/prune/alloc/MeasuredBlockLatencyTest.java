package dev.spruce.prune.alloc;

import dev.spruce.kernel.Backends;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plausibility only (no timed assertions): positive, cached, interpolated between its own grid points. */
class MeasuredBlockLatencyTest {

    @Test
    void measuresCachesAndInterpolates() {
        MeasuredBlockLatency lat = new MeasuredBlockLatency(Backends.scalar(), Backends.scalar(),
                new double[]{0.0, 0.5, 0.75}, 0.002, 0.01);
        double dense = lat.seconds(64, 64, 16, 16, 0.0, 4);
        double half = lat.seconds(64, 64, 16, 16, 0.5, 4);
        double threeQ = lat.seconds(64, 64, 16, 16, 0.75, 4);
        assertTrue(dense > 0 && half > 0 && threeQ > 0);
        assertEquals(half, lat.seconds(64, 64, 16, 16, 0.5, 4), "cached table");
        double mid = lat.seconds(64, 64, 16, 16, 0.625, 4);
        assertEquals(0.5 * (half + threeQ), mid, 1e-15 + 1e-12 * mid);
        assertEquals(threeQ, lat.seconds(64, 64, 16, 16, 0.9, 4), "clamped beyond the grid");
        // an allocation under a latency budget runs on it
        double[] grid = ProxyCurves.grid(0.25, 0.75);
        LayerCurve c = new LayerCurve("a", 64, 64, 16, 16, grid, new double[]{0, 1, 2, 4});
        SparsityAllocator.Allocation a = new SparsityAllocator(lat.asCost(4), 0.05).allocate(List.of(c), 1.0);
        assertEquals(0.0, a.choices().get(0).sparsity());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lat.seconds(60, 64, 16, 16, 0.5, 4));
        assertTrue(e.getMessage().contains("M=60"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> lat.seconds(64, 64, 16, 16, 1.0, 4));
        assertThrows(IllegalArgumentException.class, () -> new MeasuredBlockLatency(Backends.scalar(), Backends.scalar(),
                new double[]{0.1, 0.5}, 0.01, 0));
    }
}
