package dev.spruce.kernel.vector;

import java.lang.foreign.MemorySegment;

/** Dense product for few tokens, as dot products along K (the GEMV shape): memory-bound, W read once. */
interface DotKernel {
    /**
     * For every token t in [0, n) and weight row r in [r0, r1): y[t*m + r] = W[r, :] . x[t, :].
     *
     * @param w  weights, M x K row-major, element type {@code wt}
     * @param wt weight type code, see {@link WeightType}
     */
    void rows(MemorySegment w, int wt, int m, int k, MemorySegment x, int n, MemorySegment y, int r0, int r1);
}
