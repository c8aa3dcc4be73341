package dev.spruce.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The kernels' own workers: a {@link SpinPool} (low wake-up latency, the calling thread works too) with a
 * dedicated ForkJoinPool behind it for nested and concurrent calls, so user code on the common pool never
 * competes with (or deadlocks against) kernel work. Size: {@code -Dspruce.threads=N}, else the number of
 * available processors.
 */
public final class Parallel {
    /** Body of a parallel loop over the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final int DEFAULT_THREADS = defaultThreads();
    private static volatile ForkJoinPool pool;
    /** -Dspruce.spinPool=false sends every split to the ForkJoinPool (for comparison). */
    private static final boolean SPIN = !"false".equals(System.getProperty("spruce.spinPool"));

    private Parallel() {
    }

    private static int defaultThreads() {
        String p = System.getProperty("spruce.threads");
        if (p != null) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the default
            }
            System.err.println("spruce: ignoring -Dspruce.threads=" + p + " (not a positive integer)");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Multiply-adds below which a product runs on the caller's thread. With the ForkJoinPool alone a split cost
     * tens of microseconds (a dense 384x384 x 25-token product took 102 us on one thread, 200 us on two), and the
     * cut was 8M; with the {@link SpinPool} a split costs about a microsecond and MiniLM's batch-1 forward ran
     * 126 sentences/s at a 1M cut vs 104 at 8M (2026-11-30, `spruce bench-model`).
     * {@code -Dspruce.parallelMinMacs=0} always splits (the test suite uses it to exercise every split).
     */
    public static final long PARALLEL_MIN_MACS = Long.getLong("spruce.parallelMinMacs", 1L << 20);

    /** The threads worth using for a product of {@code multiplyAdds}: 1 below {@link #PARALLEL_MIN_MACS}. */
    public static int threadsFor(long multiplyAdds, int threads) {
        return multiplyAdds < PARALLEL_MIN_MACS ? 1 : threads;
    }

    /** Threads used when a backend is not given a count. */
    public static int defaultThreadCount() {
        return DEFAULT_THREADS;
    }

    /** Threads of each pool: the configured count, at least the processors (nested calls need spare workers). */
    private static int poolThreads() {
        return Math.max(DEFAULT_THREADS, Runtime.getRuntime().availableProcessors());
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    p = new ForkJoinPool(poolThreads(), ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, false);
                    pool = p;
                }
            }
        }
        return p;
    }

    /** The spin pool, started on first use (class initialisation is the lazy, thread-safe part). */
    private static final class Spin {
        static final SpinPool POOL = new SpinPool(poolThreads() - 1);
    }

    /**
     * Runs {@code body} over [0, n) split into about {@code threads} contiguous chunks whose sizes are
     * multiples of {@code grain} (except the last). With one thread or a small n it runs inline.
     *
     * <p>The calling thread takes chunks itself, next to the {@link SpinPool}'s workers. A call made while the
     * spin pool is busy (from inside a body, or from a second user thread at the same time) goes to a
     * ForkJoinPool instead, so nesting and concurrent callers work, only without the low wake-up latency.
     */
    public static void forRange(int n, int threads, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        grain = Math.max(1, grain);
        int chunks = Math.min(threads, (n + grain - 1) / grain);
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        int per = ((n + chunks - 1) / chunks + grain - 1) / grain * grain;
        if (SPIN && Spin.POOL.tryRun(body, n, per, chunks - 1)) {
            return;
        }
        pool().invoke(new Chunk(body, 0, n, per));
    }

    /**
     * As {@link #forRange}, on at most {@code threads} threads, but cut into about {@code chunksPerThread} chunks
     * per thread that the threads claim as they go, so a thread that starts late or runs slow takes fewer of them
     * instead of leaving the others waiting for its one big share.
     */
    public static void forRangeBalanced(int n, int threads, int grain, int chunksPerThread, RangeBody body) {
        if (n <= 0) {
            return;
        }
        grain = Math.max(1, grain);
        int units = (n + grain - 1) / grain;
        int helpers = Math.min(threads, units) - 1;
        if (helpers <= 0) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(units, threads * Math.max(1, chunksPerThread));
        int per = ((n + chunks - 1) / chunks + grain - 1) / grain * grain;
        if (SPIN && Spin.POOL.tryRun(body, n, per, helpers)) {
            return;
        }
        forRange(n, threads, grain, body); // the ForkJoinPool: one chunk per thread keeps it to the thread count
    }

    private static final class Chunk extends RecursiveAction {
        private final RangeBody body;
        private final int from;
        private final int to;
        private final int per;

        Chunk(RangeBody body, int from, int to, int per) {
            this.body = body;
            this.from = from;
            this.to = to;
            this.per = per;
        }

        @Override
        protected void compute() {
            if (to - from <= per) {
                body.run(from, to);
                return;
            }
            int pieces = (to - from + per - 1) / per;
            int mid = from + (pieces / 2) * per;
            Chunk right = new Chunk(body, mid, to, per);
            right.fork();
            new Chunk(body, from, mid, per).compute();
            right.join();
        }
    }
}
