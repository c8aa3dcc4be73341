package dev.spruce.kernel.cuda.bench;

/**
 * One cell of the benchmark table. {@code ms} is NaN and {@code note} says why when the case did not run
 * (skipped benchmark, failed check, error).
 */
public record BenchResult(String bench, String model, int m, int k, int n, double ms, double tflops, double gbps,
                          double relErr, double tolerance, boolean correct, String note) {

    public boolean ran() {
        return !Double.isNaN(ms);
    }
}
