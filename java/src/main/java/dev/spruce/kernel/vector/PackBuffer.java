package dev.spruce.kernel.vector;

/**
 * Per-calling-thread scratch for packed activations, so repeated GEMM calls (a model's forward
 * pass, a benchmark loop) do not allocate. Buffers above {@link #KEEP_LIMIT} floats are not kept:
 * a rare huge batch should not pin that much heap for the life of the thread.
 */
final class PackBuffer {
    private static final long KEEP_LIMIT = 16L << 20; // 64 MB of floats
    private static final ThreadLocal<float[]> BUF = new ThreadLocal<>();

    private PackBuffer() {
    }

    /** A float array of at least {@code size} elements; contents are undefined. */
    static float[] get(long size) {
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("packed activations of " + size + " floats exceed a Java array");
        }
        float[] b = BUF.get();
        if (b != null && b.length >= size) {
            return b;
        }
        b = new float[(int) size];
        if (size <= KEEP_LIMIT) {
            BUF.set(b);
        }
        return b;
    }
}
