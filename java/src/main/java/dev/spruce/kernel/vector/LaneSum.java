package dev.spruce.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sums of vector lanes in a fixed order. {@code reduceLanes(ADD)} leaves the order open, and C2's order differs
 * from the interpreter's, so a kernel gave different bits on its first calls than after JIT compilation (a
 * packed model then did not reproduce its own embeddings). Callers keep the four butterfly shuffles in their own
 * {@code static final} fields, so after inlining each step is one constant permute and one add.
 */
final class LaneSum {
    private LaneSum() {
    }

    /** The shuffle lane i -> lane i ^ h (identity where i ^ h is outside the species, i.e. unused steps). */
    static VectorShuffle<Float> swap(VectorSpecies<Float> species, int h) {
        int n = species.length();
        return VectorShuffle.fromOp(species, i -> (i ^ h) < n ? i ^ h : i);
    }

    /** Pairwise sum of all lanes: halves, then quarters, ... (steps wider than the vector are skipped). */
    static float sum(FloatVector v, VectorShuffle<Float> s8, VectorShuffle<Float> s4, VectorShuffle<Float> s2,
                     VectorShuffle<Float> s1) {
        int n = v.length();
        if (n >= 16) {
            v = v.add(v.rearrange(s8));
        }
        if (n >= 8) {
            v = v.add(v.rearrange(s4));
        }
        v = v.add(v.rearrange(s2));
        v = v.add(v.rearrange(s1));
        return v.lane(0);
    }
}
