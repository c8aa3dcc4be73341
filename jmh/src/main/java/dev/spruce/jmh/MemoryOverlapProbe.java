package dev.spruce.jmh;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * How well this machine overlaps a memory stream with arithmetic, a property behind the 2:4 kernels' shortfalls at
 * 1 and 32 tokens here (README, design notes "part three"). One thread reads an array once, a vector at a time, and does W rounds of 8
 * independent FMAs per vector loaded; the same loop runs over an array that fits in L2 and over one that does not.
 * Where hardware prefetch and the out-of-order window hide the memory latency, the big array runs as fast as the
 * small one once the arithmetic needs less bandwidth than memory gives; where they do not, the big array stays
 * slower at any W. Development aid (single thread, best of 15 passes, not JMH), with the heap on huge pages as
 * {@code ./spruce} runs: {@code java -XX:+UseTransparentHugePages --add-modules jdk.incubator.vector
 * -cp jmh/target/benchmarks.jar dev.spruce.jmh.MemoryOverlapProbe [smallMB bigMB]}.
 */
public final class MemoryOverlapProbe {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int[] WORK = {0, 1, 2, 4, 8};

    private MemoryOverlapProbe() {
    }

    /** Sum of a's vectors, plus W rounds of 8 FMAs per vector on registers (kept live by the result). */
    static float pass(float[] a, int work, float seed) {
        FloatVector b = FloatVector.broadcast(FS, seed);
        FloatVector a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
        FloatVector s = FloatVector.zero(FS);
        for (int i = 0; i + FS.length() <= a.length; i += FS.length()) {
            s = s.add(FloatVector.fromArray(FS, a, i));
            for (int j = 0; j < work; j++) {
                a0 = a0.fma(b, b);
                a1 = a1.fma(b, b);
                a2 = a2.fma(b, b);
                a3 = a3.fma(b, b);
                a4 = a4.fma(b, b);
                a5 = a5.fma(b, b);
                a6 = a6.fma(b, b);
                a7 = a7.fma(b, b);
            }
        }
        return s.add(a0).add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).reduceLanes(VectorOperators.ADD);
    }

    /** Best-of-15 nanoseconds for one pass. */
    private static long best(float[] a, int work, float[] sink) {
        long best = Long.MAX_VALUE;
        for (int r = 0; r < 15; r++) {
            long t0 = System.nanoTime();
            sink[0] += pass(a, work, 1e-7f * r);
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }

    public static void main(String[] args) {
        int smallMb = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int bigMb = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        float[] small = filled(smallMb);
        float[] big = filled(bigMb);
        float[] sink = new float[1];
        // Let C2 compile pass() before anything is timed (filled() has already touched every page).
        for (int w : WORK) {
            best(small, w, sink);
        }
        System.out.printf("%d-bit vectors, %d MB vs %d MB array, one thread%n", FS.vectorBitSize(), smallMb, bigMb);
        System.out.println("FMAs/vector  small GB/s  big GB/s  small FMA/ns  big FMA/ns  big/small");
        for (int w : WORK) {
            long ts = best(small, w, sink);
            long tb = best(big, w, sink);
            double vs = (double) small.length / FS.length();
            double vb = (double) big.length / FS.length();
            double rs = vs / ts;
            double rb = vb / tb;
            System.out.printf("%11d  %10.1f  %8.1f  %12.2f  %10.2f  %9.2f%n", 8 * w, 4.0 * small.length / ts,
                    4.0 * big.length / tb, vs * 8 * w / ts, vb * 8 * w / tb, rb / rs);
        }
        System.out.printf("(checksum %g)%n", sink[0]);
    }

    private static float[] filled(int mb) {
        float[] a = new float[mb << 18];
        for (int i = 0; i < a.length; i++) {
            a[i] = i * 1e-9f;
        }
        return a;
    }
}
