package dev.spruce.prune.alloc;

import java.util.ArrayList;
import java.util.List;

/**
 * Allocates block sparsity across layers under a global budget by equal slopes (LPViT's allocation):
 * minimise Σ D<sub>l</sub>(p<sub>l</sub>) subject to Σ cost<sub>l</sub>(p<sub>l</sub>) ≤ budget.
 *
 * <p>For a multiplier μ ≥ 0 each layer independently picks the grid point minimising
 * D<sub>l</sub>(p) + μ cost<sub>l</sub>(p) among the sparsities its minimum kept fraction allows (ties: the
 * lower sparsity). That point is where the layer's distortion slope, along the lower convex hull of its
 * curve, meets -μ: the equal-slope condition, without LPViT's smoothing and finite-difference derivatives
 * (which only approximate it on noisy curves). The total cost of the picks never increases as μ grows, so a
 * bisection on μ (geometric until bracketed, then {@value #ITERATIONS} halvings) finds the smallest μ whose
 * picks meet the budget. Because only grid points are picked the budget is met with a little slack, never
 * overshot; a finer grid gives less slack.
 *
 * <p>LPViT's code instead picks p<sub>l</sub>(t) = argmin |D'<sub>l</sub>(p) - 2<sup>t</sup>| and bisects on t to
 * within ±0.02 of the target; on convex curves both give the same points.
 */
public final class SparsityAllocator {
    static final int ITERATIONS = 200;

    /** What the allocator chose. */
    public record Allocation(List<Choice> choices, double multiplier, double totalCost, double denseCost, double budget,
                             double totalDistortion) {
        /** Total cost as a fraction of the dense cost. */
        public double costFraction() {
            return denseCost > 0 ? totalCost / denseCost : 0;
        }
    }

    /** One layer's pick: its grid index, sparsity, distortion and cost there. */
    public record Choice(LayerCurve curve, int index, double sparsity, double distortion, double cost) {
    }

    private final LayerCost cost;
    private final double minKeep;

    /**
     * @param cost    each layer's cost at a sparsity (the budget's unit)
     * @param minKeep minimum kept fraction of every layer's blocks, in [0, 1] (LPViT: 0.05)
     */
    public SparsityAllocator(LayerCost cost, double minKeep) {
        if (cost == null) {
            throw new IllegalArgumentException("cost model must not be null");
        }
        if (!(minKeep >= 0 && minKeep <= 1)) {
            throw new IllegalArgumentException("minimum kept fraction must be in [0, 1], got " + minKeep);
        }
        this.cost = cost;
        this.minKeep = minKeep;
    }

    /**
     * Allocates so that the total cost is at most {@code budgetFraction} of the all-dense cost.
     *
     * @throws IllegalArgumentException if even the sparsest allowed point of every layer misses the budget
     */
    public Allocation allocate(List<LayerCurve> curves, double budgetFraction) {
        if (curves == null || curves.isEmpty()) {
            throw new IllegalArgumentException("no layers to allocate");
        }
        if (!(budgetFraction > 0 && budgetFraction <= 1)) {
            throw new IllegalArgumentException("budget fraction of the dense cost must be in (0, 1], got " + budgetFraction);
        }
        int n = curves.size();
        double[][] costs = new double[n][];
        int[] last = new int[n]; // last allowed grid index per layer
        double dense = 0;
        double sparsest = 0;
        for (int l = 0; l < n; l++) {
            LayerCurve c = curves.get(l);
            costs[l] = new double[c.points()];
            last[l] = 0;
            for (int i = 0; i < c.points(); i++) {
                double v = cost.cost(c, c.sparsity()[i]);
                if (!(v >= 0 && Double.isFinite(v))) {
                    throw new IllegalArgumentException("layer " + c.name() + ": cost at sparsity " + c.sparsity()[i]
                            + " is " + v);
                }
                costs[l][i] = v;
                if (c.sparsity()[i] <= 1 - minKeep + 1e-12) {
                    last[l] = i;
                }
            }
            dense += costs[l][0];
            double min = Double.POSITIVE_INFINITY;
            for (int i = 0; i <= last[l]; i++) {
                min = Math.min(min, costs[l][i]);
            }
            sparsest += min;
        }
        double budget = budgetFraction * dense;
        if (sparsest > budget * (1 + 1e-12)) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "budget %.4g of the dense cost is out of reach: the sparsest allowed allocation (minimum kept"
                            + " fraction %.3g) still costs %.4g", budgetFraction, minKeep, sparsest / dense));
        }
        int[] picks = new int[n];
        double mu = 0;
        if (total(curves, costs, last, 0, picks) > budget) {
            double lo = 0;
            double hi = 1e-12 * scale(curves, costs);
            while (total(curves, costs, last, hi, picks) > budget) {
                lo = hi;
                hi *= 2;
                if (!Double.isFinite(hi)) {
                    throw new IllegalStateException("no multiplier meets the budget (curves or costs degenerate)");
                }
            }
            for (int it = 0; it < ITERATIONS && hi - lo > 1e-15 * hi; it++) {
                double mid = 0.5 * (lo + hi);
                if (total(curves, costs, last, mid, picks) > budget) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            mu = hi;
            total(curves, costs, last, mu, picks);
        }
        List<Choice> choices = new ArrayList<>();
        double tc = 0;
        double td = 0;
        for (int l = 0; l < n; l++) {
            LayerCurve c = curves.get(l);
            int i = picks[l];
            choices.add(new Choice(c, i, c.sparsity()[i], c.distortion()[i], costs[l][i]));
            tc += costs[l][i];
            td += c.distortion()[i];
        }
        return new Allocation(List.copyOf(choices), mu, tc, dense, budget, td);
    }

    /** Picks every layer's point for multiplier mu into picks; returns the total cost. */
    static double total(List<LayerCurve> curves, double[][] costs, int[] last, double mu, int[] picks) {
        double sum = 0;
        for (int l = 0; l < curves.size(); l++) {
            double[] d = curves.get(l).distortion();
            int best = 0;
            double bestV = d[0] + mu * costs[l][0];
            for (int i = 1; i <= last[l]; i++) {
                double v = d[i] + mu * costs[l][i];
                if (v < bestV) {
                    bestV = v;
                    best = i;
                }
            }
            picks[l] = best;
            sum += costs[l][best];
        }
        return sum;
    }

    /** A multiplier scale: the largest distortion per unit of cost, so the geometric search starts small enough. */
    private static double scale(List<LayerCurve> curves, double[][] costs) {
        double maxD = 0;
        double minC = Double.POSITIVE_INFINITY;
        for (int l = 0; l < curves.size(); l++) {
            for (double d : curves.get(l).distortion()) {
                maxD = Math.max(maxD, Math.abs(d));
            }
            for (double c : costs[l]) {
                if (c > 0) {
                    minC = Math.min(minC, c);
                }
            }
        }
        return maxD > 0 && Double.isFinite(minC) ? maxD / minC : 1.0;
    }
}
