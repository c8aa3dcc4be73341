package dev.spruce.kernel;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fork-join for one parallel loop at a time whose workers spin briefly before parking.
 *
 * <p>Why: an encoder forward pass is a chain of ~100 small parallel products (MiniLM: 384-wide layers, 20 tokens,
 * 50-100 us each). A ForkJoinPool parks idle workers at once and waking one costs tens of microseconds, and its
 * {@code invoke} from an outside thread leaves the caller idle; measured 2026-11-30, a 384x384 x 25-token product
 * took 102 us on one thread and 200 us split over two. Here the caller takes chunks too, and a worker that has
 * just finished a loop keeps polling for the next one for {@link #SPIN_NANOS} (default 100 us) before it parks,
 * so the next layer's split starts in well under a microsecond. A worker parked longer costs one unpark.
 *
 * <p>One loop at a time: {@link #tryRun} returns false when the pool is already running one (a nested call from
 * a body, or a second user thread), and {@link Parallel} then uses its ForkJoinPool; for a while after that nobody
 * spins, so the pool does not steal cores from the other callers. Chunks are claimed
 * dynamically, so any chunk count works with any number of workers. The first exception a chunk throws is
 * rethrown to the caller after every chunk has finished.
 */
final class SpinPool {
    /** How long an idle worker polls for the next loop before parking (-Dspruce.spinMicros). */
    static final long SPIN_NANOS = 1000L * Long.getLong("spruce.spinMicros", 100L);

    /** One parallel loop: chunk c covers [c * per, min(n, (c + 1) * per)). */
    private static final class Job {
        final Parallel.RangeBody body;
        final long generation;
        final int n;
        final int per;
        final int chunks;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger remaining;
        /** Workers that may still join (the caller always works): keeps a loop to its thread count. */
        final AtomicInteger openSeats;
        volatile Throwable error;

        Job(Parallel.RangeBody body, long generation, int n, int per, int helpers, Thread caller) {
            this.body = body;
            this.openSeats = new AtomicInteger(helpers);
            this.generation = generation;
            this.n = n;
            this.per = per;
            this.chunks = (n + per - 1) / per;
            this.caller = caller;
            this.remaining = new AtomicInteger(chunks);
        }

        /** Claims and runs chunks until none is left. */
        void work() {
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                try {
                    if (error == null) {
                        body.run(c * per, Math.min(n, (c + 1) * per));
                    }
                } catch (Throwable t) {
                    if (error == null) {
                        error = t;
                    }
                } finally {
                    if (remaining.decrementAndGet() == 0) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }
    }

    /** After a refused call, nobody spins for this long: several threads are computing and want the cores. */
    private static final long CONTENDED_NANOS = 20_000_000L;

    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    /** When a call last found the pool busy (System.nanoTime). */
    private volatile long lastRefused = System.nanoTime() - 2 * CONTENDED_NANOS;
    /** The current loop (null between loops, so a finished loop's body is not kept alive). */
    private volatile Job job;
    /** Loops started so far; workers tell a new loop from one they have done by its number. */
    private long generations;

    SpinPool(int workerCount) {
        workers = new Worker[Math.max(0, workerCount)];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("spruce-worker-" + (i + 1));
            workers[i].start();
        }
    }

    /**
     * Runs the loop here and on at most {@code helpers} workers, or returns false at once if the pool is busy.
     * There may be more chunks than threads; they are claimed dynamically.
     */
    boolean tryRun(Parallel.RangeBody body, int n, int per, int helpers) {
        if (workers.length == 0) {
            return false;
        }
        if (!busy.compareAndSet(false, true)) {
            lastRefused = System.nanoTime();
            return false;
        }
        try {
            Job j = new Job(body, ++generations, n, per, helpers, Thread.currentThread());
            job = j;
            int woken = 0;
            for (Worker w : workers) {
                if (woken >= helpers) {
                    break;
                }
                if (w.parked) {
                    LockSupport.unpark(w);
                    woken++;
                }
            }
            j.work();
            long spinUntil = spinDeadline();
            while (j.remaining.get() > 0) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            job = null;
            Throwable t = j.error;
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
            return true;
        } finally {
            busy.set(false);
        }
    }

    /**
     * Until when a waiting thread may poll instead of parking: SPIN_NANOS from now, or now (park at once) while
     * other threads have recently competed for the pool, since then a spinning thread would take a core from them
     * (a precaution for callers like ARMOR's layer-per-thread factorisation; its run time moved within noise).
     */
    private long spinDeadline() {
        long now = System.nanoTime();
        return now - lastRefused < CONTENDED_NANOS ? now : now + SPIN_NANOS;
    }

    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                Job j = await(seen);
                seen = j.generation;
                if (j.openSeats.getAndDecrement() > 0) {
                    j.work();
                }
            }
        }

        /** Waits for a loop newer than generation {@code seen}: polls for SPIN_NANOS, then parks. */
        private Job await(long seen) {
            long spinUntil = spinDeadline();
            while (true) {
                Job j = job;
                if (j != null && j.generation != seen) {
                    return j;
                }
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                j = job;
                if (j != null && j.generation != seen) {
                    parked = false;
                    return j;
                }
                LockSupport.park(SpinPool.this);
                parked = false;
            }
        }
    }
}
