package dev.spruce.kernel.cuda.bench;

import dev.spruce.tensor.DType;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** The benchmark rows gpu-check runs, and the standard shapes and batches (DESIGN.md). */
public final class GpuBenchmarks {
    private GpuBenchmarks() {
    }

    /** A weight shape: out x in features, with the model it comes from. */
    public record Shape(String model, int m, int k) {
        @Override
        public String toString() {
            return m + "x" + k;
        }
    }

    /** LLaMA-7B and ViT-B/16 projection shapes. */
    public static final List<Shape> STANDARD_SHAPES = List.of(
            new Shape("llama-7b", 4096, 4096), new Shape("llama-7b", 11008, 4096), new Shape("llama-7b", 4096, 11008),
            new Shape("vit-b16", 768, 768), new Shape("vit-b16", 3072, 768), new Shape("vit-b16", 768, 3072));

    public static final List<Integer> STANDARD_BATCHES = List.of(1, 8, 32, 128, 512, 2048);

    /** Name of the row every other row's speed is compared with. */
    public static final String BASELINE = "cublas-bf16";

    /**
     * Spruce's dense kernel (f32 and bf16 weights), cuBLAS bf16 (the baseline) and f32, then every
     * {@link GpuBenchmark} registered through {@link ServiceLoader} (how later kernels plug in).
     */
    public static List<GpuBenchmark> standard() {
        List<GpuBenchmark> list = new ArrayList<>();
        list.add(new CublasBenchmark(DType.BF16));
        list.add(new DenseTiledBenchmark(DType.BF16));
        list.add(new DenseTiledBenchmark(DType.F32));
        list.add(new CublasBenchmark(DType.F32));
        for (GpuBenchmark b : ServiceLoader.load(GpuBenchmark.class)) {
            list.add(b);
        }
        return list;
    }
}
