package dev.spruce.cli.pipeline;

import dev.spruce.calib.LayerStats;
import dev.spruce.kernel.Parallel;
import dev.spruce.model.Linear;
import dev.spruce.prune.armor.ArmorFactorizer;
import dev.spruce.prune.armor.ArmorFactors;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Factorises every Linear a plan prunes with ARMOR, several layers at once. ARMOR on a small layer is a long run
 * of small block products (16 x 16 blocks on MiniLM's 384-wide layers) that split badly across cores, while
 * the layers are independent (the statistics come from the dense model): one layer per thread, largest first,
 * keeps every core busy.
 */
final class ArmorRunner {
    private ArmorRunner() {
    }

    static Map<String, ArmorFactors> factorizeAll(List<Linear> linears, Map<String, LayerStats> stats, PrunePlan plan,
                                                  Progress progress) {
        List<Linear> todo = new ArrayList<>();
        for (Linear l : linears) {
            if (plan.sparsityFor(l.name()).dense()) {
                continue;
            }
            if (stats.get(l.name()) == null) {
                throw new IllegalArgumentException("no calibration statistics for layer " + l.name());
            }
            todo.add(l);
        }
        todo.sort(Comparator.comparingLong((Linear l) -> (long) l.inFeatures() * l.inFeatures() * l.outFeatures()).reversed());
        int threads = Math.max(1, Math.min(Parallel.defaultThreadCount(), todo.size()));
        ArmorFactorizer factorizer = new ArmorFactorizer(plan.armor().withThreads(1));
        Map<String, ArmorFactors> out = new LinkedHashMap<>();
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "spruce-armor");
            t.setDaemon(true);
            return t;
        });
        try (Progress.Task task = progress.start("factorizing (" + plan.armor().describe() + ")", todo.size())) {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                futures.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < todo.size(); i = next.getAndIncrement()) {
                        Linear l = todo.get(i);
                        ArmorFactors f = factorizer.factorize(((dev.spruce.model.DenseLinear) l).weight(), stats.get(l.name()));
                        synchronized (out) {
                            out.put(l.name(), f);
                            task.stepTo(out.size(), l.name());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (ExecutionException e) {
            next.set(todo.size());
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("ARMOR failed: " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while factorizing", e);
        } finally {
            pool.shutdownNow();
        }
        return out;
    }
}
