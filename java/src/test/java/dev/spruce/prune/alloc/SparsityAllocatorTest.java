package dev.spruce.prune.alloc;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparsityAllocatorTest {

    /** Convex curves a p^2 + b p^4 of different steepness on layers of different sizes. */
    static List<LayerCurve> synthetic(long seed) {
        Random rnd = new Random(seed);
        double[] grid = ProxyCurves.grid(0.05, 0.95);
        int[][] shapes = {{384, 384}, {1536, 384}, {384, 1536}, {768, 768}};
        List<LayerCurve> out = new ArrayList<>();
        for (int l = 0; l < 12; l++) {
            double a = Math.exp(2 * rnd.nextGaussian());
            double b = Math.exp(rnd.nextGaussian());
            double[] d = new double[grid.length];
            for (int i = 0; i < grid.length; i++) {
                d[i] = a * grid[i] * grid[i] + b * Math.pow(grid[i], 4);
            }
            int[] s = shapes[l % shapes.length];
            out.add(new LayerCurve("l" + l, s[0], s[1], 32, 32, grid, d));
        }
        return out;
    }

    @Test
    void meetsTheBudgetRespectsTheMinimumAndBeatsUniform() {
        List<LayerCurve> curves = synthetic(1);
        LayerCost cost = LayerCost.keptWeights();
        for (double removed : new double[]{0.3, 0.5, 0.7}) {
            for (double minKeep : new double[]{0.05, 0.4}) {
                SparsityAllocator alloc = new SparsityAllocator(cost, minKeep);
                if (1 - removed < minKeep) {
                    continue;
                }
                SparsityAllocator.Allocation a = alloc.allocate(curves, 1 - removed);
                assertTrue(a.totalCost() <= a.budget() * (1 + 1e-12), a.totalCost() + " > " + a.budget());
                assertTrue(a.costFraction() > 1 - removed - 0.02, "slack too large: " + a.costFraction());
                double uniform = 0;
                int ui = (int) Math.round(removed / 0.05);
                for (SparsityAllocator.Choice c : a.choices()) {
                    assertTrue(c.sparsity() <= 1 - minKeep + 1e-12, c.curve().name() + " at " + c.sparsity());
                    uniform += c.curve().distortion()[ui];
                }
                assertTrue(a.totalDistortion() < uniform, a.totalDistortion() + " vs uniform " + uniform);
            }
        }
    }

    @Test
    void totalCostNeverRisesWithTheMultiplier() {
        List<LayerCurve> curves = synthetic(2);
        LayerCost cost = LayerCost.keptWeights();
        double[][] costs = new double[curves.size()][];
        int[] last = new int[curves.size()];
        for (int l = 0; l < curves.size(); l++) {
            LayerCurve c = curves.get(l);
            costs[l] = new double[c.points()];
            for (int i = 0; i < c.points(); i++) {
                costs[l][i] = cost.cost(c, c.sparsity()[i]);
            }
            last[l] = c.points() - 1;
        }
        int[] picks = new int[curves.size()];
        double prev = Double.POSITIVE_INFINITY;
        for (double mu = 1e-12; mu < 1e3; mu *= 1.3) {
            double t = SparsityAllocator.total(curves, costs, last, mu, picks);
            assertTrue(t <= prev, "cost rose at mu " + mu);
            prev = t;
        }
        assertEquals(0.05 * 0 + costs.length, costs.length); // every layer was visited
    }

    @Test
    void flatCurvesArePrunedFirstAndZeroSparsityIsAllowed() {
        double[] grid = ProxyCurves.grid(0.1, 0.9);
        double[] flat = new double[grid.length];
        double[] steep = new double[grid.length];
        for (int i = 0; i < grid.length; i++) {
            flat[i] = 0.01 * grid[i];
            steep[i] = 100 * grid[i];
        }
        List<LayerCurve> curves = List.of(new LayerCurve("flat", 320, 320, 32, 32, grid, flat),
                new LayerCurve("steep", 320, 320, 32, 32, grid, steep));
        SparsityAllocator.Allocation a = new SparsityAllocator(LayerCost.keptWeights(), 0.0).allocate(curves, 0.55);
        assertEquals(0.0, a.choices().get(1).sparsity(), "the sensitive layer stays dense");
        assertTrue(a.choices().get(0).sparsity() >= 0.75);
    }

    @Test
    void latencyBudgetsAndErrors() {
        List<LayerCurve> curves = synthetic(3);
        // a kernel whose time is 20% overhead + 80% proportional to kept blocks
        BlockLatency lat = (rows, cols, bh, bw, p, batch) -> 1e-9 * rows * cols * batch * (p == 0 ? 1.0 : 0.2 + 0.8 * (1 - p));
        SparsityAllocator.Allocation a = new SparsityAllocator(lat.asCost(32), 0.05).allocate(curves, 0.7);
        assertTrue(a.costFraction() <= 0.7 + 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SparsityAllocator(LayerCost.keptWeights(), 0.5).allocate(curves, 0.3));
        assertTrue(e.getMessage().contains("out of reach"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SparsityAllocator(LayerCost.keptWeights(), 1.5));
        assertThrows(IllegalArgumentException.class, () -> new SparsityAllocator(LayerCost.keptWeights(), 0.05).allocate(curves, 0));
        assertThrows(IllegalArgumentException.class, () -> new LayerCurve("x", 64, 64, 32, 32, new double[]{0.1, 0.2},
                new double[]{0, 1}));
        assertThrows(IllegalArgumentException.class, () -> new LayerCurve("x", 64, 64, 32, 32, new double[]{0, 0.2},
                new double[]{0, Double.NaN}));
        assertThrows(IllegalArgumentException.class, () -> new LayerCurve("x", 60, 64, 32, 32, new double[]{0},
                new double[]{0}));
    }

    @Test
    void powerTermSignDecidesWhetherWideLayersArePrunedMoreOrLess() {
        double[] grid = ProxyCurves.grid(0.05, 0.95);
        double[] d = new double[grid.length];
        for (int i = 0; i < grid.length; i++) {
            d[i] = grid[i] * grid[i];
        }
        // same distortion curve and block count; the wide layer has 8x the input width of the narrow one
        List<LayerCurve> curves = List.of(new LayerCurve("narrow", 1024, 128, 32, 32, grid, d),
                new LayerCurve("wide", 128, 1024, 32, 32, grid, d));
        SparsityAllocator alloc = new SparsityAllocator(LayerCost.keptWeights(), 0.05);
        double released = alloc.allocate(PowerTerm.apply(curves, PowerTerm.Sign.PRUNED_AS_RELEASED, 1), 0.6)
                .choices().get(1).sparsity();
        double surviving = alloc.allocate(PowerTerm.apply(curves, PowerTerm.Sign.SURVIVING, 1), 0.6)
                .choices().get(1).sparsity();
        double none = alloc.allocate(curves, 0.6).choices().get(1).sparsity();
        assertTrue(released < none, "released sign prunes the wide layer less: " + released + " vs " + none);
        assertTrue(surviving > none, "surviving sign prunes it more: " + surviving + " vs " + none);
    }
}
