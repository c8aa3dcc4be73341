package dev.spruce.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link Parallel#forRange} over the {@link SpinPool}: coverage, chunk grain, errors, nesting, concurrent callers. */
class ParallelTest {

    /** A parallel loop under test, {@link Parallel#forRange} or a variant, with the body's range. */
    @FunctionalInterface
    private interface Loop {
        void run(int n, int threads, int grain, Parallel.RangeBody body);
    }

    /** What one loop did: how many chunks ran and on how many distinct threads. */
    private record Ran(int chunks, int threads) {
    }

    /** Every index is visited exactly once, chunks (but the last) are whole multiples of the grain. */
    private static Ran coversOnce(Loop loop, int n, int threads, int grain) {
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        java.util.Set<Thread> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicInteger chunks = new java.util.concurrent.atomic.AtomicInteger();
        loop.run(n, threads, grain, (a, b) -> {
            seen.add(Thread.currentThread());
            chunks.incrementAndGet();
            if (a % grain != 0) {
                throw new AssertionError("chunk starts at " + a + ", not a multiple of " + grain);
            }
            for (int i = a; i < b; i++) {
                hits.incrementAndGet(i);
            }
        });
        for (int i = 0; i < n; i++) {
            assertEquals(1, hits.get(i), "index " + i + " of " + n + " (threads " + threads + ", grain " + grain + ")");
        }
        return new Ran(chunks.get(), seen.size());
    }

    @Test
    void manyLoopsBackToBackCoverEveryIndexOnce() {
        for (int rep = 0; rep < 2000; rep++) {
            coversOnce(Parallel::forRange, 1 + rep % 97, 1 + rep % 5, 1 + rep % 7);
        }
    }

    @Test
    void balancedLoopsCoverEveryIndexOnceOnAtMostTheirThreads() {
        for (int rep = 0; rep < 2000; rep++) {
            int n = 1 + rep % 97;
            int threads = 1 + rep % 4;
            int grain = 1 + rep % 5;
            Ran ran = coversOnce((nn, t, g, body) -> Parallel.forRangeBalanced(nn, t, g, 3, body), n, threads, grain);
            org.junit.jupiter.api.Assertions.assertTrue(ran.threads() <= threads,
                    ran.threads() + " threads ran a loop limited to " + threads);
            org.junit.jupiter.api.Assertions.assertTrue(ran.chunks() <= 3 * threads,
                    ran.chunks() + " chunks for " + threads + " threads x 3");
        }
        // One thread: the caller alone, in one piece.
        List<Thread> ran = java.util.Collections.synchronizedList(new ArrayList<>());
        Parallel.forRangeBalanced(100, 1, 1, 3, (a, b) -> ran.add(Thread.currentThread()));
        assertEquals(List.of(Thread.currentThread()), ran);
    }

    @Test
    void anExceptionReachesTheCallerAndThePoolStaysUsable() {
        IllegalStateException boom = new IllegalStateException("boom");
        for (int rep = 0; rep < 50; rep++) {
            IllegalStateException got = assertThrows(IllegalStateException.class,
                    () -> Parallel.forRange(64, 4, 1, (a, b) -> {
                        if (a <= 40 && 40 < b) {
                            throw boom;
                        }
                    }));
            assertSame(boom, got);
            coversOnce(Parallel::forRange, 100, 3, 4);
        }
    }

    @Test
    void aLoopInsideALoopRuns() {
        AtomicIntegerArray hits = new AtomicIntegerArray(32 * 32);
        Parallel.forRange(32, 4, 1, (a, b) -> {
            for (int i = a; i < b; i++) {
                int row = i;
                Parallel.forRange(32, 4, 1, (c, d) -> {
                    for (int j = c; j < d; j++) {
                        hits.incrementAndGet(row * 32 + j);
                    }
                });
            }
        });
        for (int i = 0; i < hits.length(); i++) {
            assertEquals(1, hits.get(i));
        }
    }

    @Test
    void concurrentCallersEachGetTheirWholeLoop() throws InterruptedException {
        List<Thread> callers = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 4; t++) {
            int seed = t;
            Thread th = new Thread(() -> {
                try {
                    for (int rep = 0; rep < 300; rep++) {
                        coversOnce(Parallel::forRange, 50 + (rep + seed) % 61, 2 + seed % 3, 1 + rep % 3);
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            callers.add(th);
            th.start();
        }
        for (Thread th : callers) {
            th.join();
        }
        assertEquals(List.of(), errors);
    }
}
