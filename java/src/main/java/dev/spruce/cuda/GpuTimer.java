package dev.spruce.cuda;

import org.bytedeco.javacpp.Pointer;

/**
 * Times device work with a pair of CUDA events on the default stream: GPU time, free of JVM and launch
 * jitter on the host side. Use {@link #time(Runnable, int, int)} for a warmed-up mean.
 */
public final class GpuTimer implements AutoCloseable {
    private final Pointer start;
    private final Pointer stop;
    private boolean closed;

    public GpuTimer() {
        Cuda.require();
        Pointer a = new Pointer();
        Cuda.check(CudaNative.spruce_event_create(a), "cudaEventCreate");
        Pointer b = new Pointer();
        int st = CudaNative.spruce_event_create(b);
        if (st != 0) {
            CudaNative.spruce_event_destroy(a);
            Cuda.check(st, "cudaEventCreate");
        }
        start = Pointers.at(a.address(), 0);
        stop = Pointers.at(b.address(), 0);
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("timer is closed");
        }
    }

    public void start() {
        open();
        Cuda.check(CudaNative.spruce_event_record(start, null), "cudaEventRecord(start)");
    }

    /** Records the stop event, waits for it, and returns the milliseconds since {@link #start()}. */
    public float stopMillis() {
        open();
        Cuda.check(CudaNative.spruce_event_record(stop, null), "cudaEventRecord(stop)");
        float[] ms = new float[1];
        Cuda.check(CudaNative.spruce_event_elapsed_ms(start, stop, ms), "cudaEventElapsedTime");
        return ms[0];
    }

    /**
     * Runs {@code body} {@code warmup} times, then {@code iters} times between the events; returns the mean
     * milliseconds per run.
     */
    public double time(Runnable body, int warmup, int iters) {
        if (warmup < 0 || iters < 1) {
            throw new IllegalArgumentException("need warmup >= 0 and iters >= 1, got " + warmup + ", " + iters);
        }
        for (int i = 0; i < warmup; i++) {
            body.run();
        }
        start();
        for (int i = 0; i < iters; i++) {
            body.run();
        }
        return stopMillis() / (double) iters;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            int a = CudaNative.spruce_event_destroy(start);
            int b = CudaNative.spruce_event_destroy(stop);
            Cuda.check(a, "cudaEventDestroy");
            Cuda.check(b, "cudaEventDestroy");
        }
    }
}
