package dev.spruce.kernel.vector;

/**
 * Per-thread float scratch, so repeated GEMM calls (a model's forward pass, a benchmark loop) do not
 * allocate: {@link #PACKED_X} holds the caller's packed activations, {@link #TILE_SUMS} each worker's
 * Y<sup>T</sup> partial sums (two pools, because with one thread the caller is also the worker). Buffers above {@link #KEEP_LIMIT} floats are not kept:
 * a rare huge batch should not pin that much heap for the life of the thread.
 */
final class PackBuffer {
    private static final long KEEP_LIMIT = 16L << 20; // 64 MB of floats
    static final PackBuffer PACKED_X = new PackBuffer();
    static final PackBuffer TILE_SUMS = new PackBuffer();

    private final ThreadLocal<float[]> buf = new ThreadLocal<>();

    private PackBuffer() {
    }

    /** A float array of at least {@code size} elements; contents are undefined. */
    float[] get(long size) {
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("packed activations of " + size + " floats exceed a Java array");
        }
        float[] b = buf.get();
        if (b != null && b.length >= size) {
            return b;
        }
        b = new float[(int) size];
        if (size <= KEEP_LIMIT) {
            buf.set(b);
        }
        return b;
    }
}
