package dev.spruce.kernel.vector;

/** Multi-head self-attention for a range of (sentence, head) tasks (see {@link SelfAttention}). */
interface AttentionKernel {
    /** Tasks [t0, t1), task = sentence * heads + head; arguments already checked. */
    void tasks(float[] q, float[] k, float[] v, float[] ctx, int[] offsets, int heads, int d, float scale,
               int t0, int t1);
}
