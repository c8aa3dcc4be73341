package dev.spruce.kernel.cuda.bench;

/**
 * One row family of {@code spruce gpu-check}'s benchmark table: a way of computing Y = X W<sup>T</sup> on
 * the GPU. The runner calls {@link #prepare} once per weight shape and {@link Layer#batch} once per batch
 * size; it poisons the output, runs once, asks the run to verify itself against the CPU reference, then times
 * {@link Run#launch()} with CUDA events.
 *
 * <p>To add a row (the 2:4 kernel, say), implement this interface and either add it to
 * {@link GpuBenchmarks#standard()} or list it in {@code META-INF/services/dev.spruce.kernel.cuda.bench.GpuBenchmark}.
 */
public interface GpuBenchmark {

    /** Row label, e.g. "cublas-bf16". Unique within a run. */
    String name();

    /** Null when this benchmark can run here, else why not (the row is shown as skipped with this reason). */
    String unavailableReason();

    /**
     * Sets up device-resident weights for an {@code m x k} layer; {@code weights} holds the generated dense
     * weights (on the device, plus a host copy for references) that every benchmark starts from.
     */
    Layer prepare(BenchWeights weights);

    /** A prepared layer (weights uploaded and converted / packed once). */
    interface Layer extends AutoCloseable {
        /** Sets up inputs and outputs for {@code n} tokens taken from {@code inputs}. */
        Run batch(BenchInputs inputs);

        /** Bytes of weight storage one call reads (for GB/s), including metadata. */
        long weightBytes();

        @Override
        void close();
    }

    /** One (layer, batch) case. */
    interface Run extends AutoCloseable {
        /** Fills the output with NaN so elements the kernel never writes are caught. */
        void poisonOutput();

        /** Launches the computation once (asynchronously, default stream). */
        void launch();

        /**
         * Downloads the output of the last launch and compares it with the CPU float64 reference (sampled
         * tokens and rows, every element checked for NaN); returns the relative L2 error (infinity on NaN).
         */
        double verify();

        /** Largest relative error {@link #verify()} may return for this kernel. */
        double tolerance();

        /** Bytes of activations read and outputs written by one call (for GB/s). */
        long ioBytes();

        @Override
        void close();
    }
}
