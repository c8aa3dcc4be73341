package dev.spruce.cli;

import dev.spruce.cli.pipeline.PackedModel;
import dev.spruce.layout.io.SafeTensors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code spruce inspect FILE}: what a packed model file holds, layer by layer, without building the model. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List the layers of a packed model file: layout, shape, sparsity, and bytes packed vs dense.")
public final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "Packed model file (from spruce prune).")
    Path file;

    @Override
    public Integer call() throws Exception {
        PrintStream o = System.out;
        try (SafeTensors st = PackedModel.open(file)) {
            Map<String, String> meta = st.metadata();
            o.printf("%s: %s, %s layers, hidden %s, intermediate %s, vocab %s, %s pooling; tokenizer %s%n", file,
                    meta.getOrDefault("plan", "?"), meta.get("layers"), meta.get("hidden_size"),
                    meta.get("intermediate_size"), meta.get("vocab_size"), PackedModel.pooling(meta).label(),
                    (st.contains(PackedModel.TOKENIZER_TENSOR) ? "embedded, from " : "")
                            + meta.get(PackedModel.TOKENIZER_KEY));
            o.printf(Locale.ROOT, "%-45s %-9s %11s %8s %12s %12s%n", "layer", "layout", "shape", "zeros", "bytes", "dense bytes");
            Map<String, String> layouts = new TreeMap<>();
            for (Map.Entry<String, String> e : meta.entrySet()) {
                if (e.getKey().startsWith("layout.")) {
                    layouts.put(e.getKey().substring("layout.".length()), e.getValue());
                }
            }
            long packedTotal = 0;
            long denseTotal = 0;
            long linearElements = 0;
            long linearZeros = 0;
            for (String name : st.names()) {
                // everything that is not a Linear weight counts as is on both sides (embeddings, norms, biases)
                long b = st.tensor(name).data().byteSize();
                packedTotal += b;
                denseTotal += b;
            }
            for (String name : layers(meta)) {
                String layout = layouts.get(name);
                long rows;
                long cols;
                long bytes;
                long zeros;
                if ("sparse24".equals(layout)) {
                    SafeTensors.Tensor v = st.tensor(name + ".values");
                    SafeTensors.Tensor c = st.tensor(name + ".codes");
                    rows = v.shape()[0];
                    cols = v.shape()[1] * 2;
                    bytes = v.data().byteSize() + c.data().byteSize();
                    zeros = rows * cols / 2 + countZeros(v);
                } else if ("block".equals(layout)) {
                    SafeTensors.Tensor v = st.tensor(name + ".values");
                    java.lang.foreign.MemorySegment geo = st.tensor(name + ".block_geometry").data();
                    rows = geo.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0);
                    cols = geo.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 4);
                    bytes = v.data().byteSize() + st.tensor(name + ".row_ptr").data().byteSize()
                            + st.tensor(name + ".col_idx").data().byteSize() + geo.byteSize();
                    zeros = rows * cols - v.elements() + countZeros(v); // dropped blocks + zeros inside kept ones
                } else if ("armor".equals(layout)) {
                    SafeTensors.Tensor v = st.tensor(name + ".core_values");
                    rows = v.shape()[0];
                    cols = v.shape()[1] * 2;
                    bytes = v.data().byteSize() + st.tensor(name + ".core_codes").data().byteSize()
                            + st.tensor(name + ".a_blocks").data().byteSize() + st.tensor(name + ".b_blocks").data().byteSize();
                    zeros = rows * cols / 2 + countZeros(v); // of the 2:4 core; A·S·B itself is dense
                } else {
                    SafeTensors.Tensor w = st.tensor(name + ".weight");
                    rows = w.shape()[0];
                    cols = w.shape()[1];
                    bytes = w.data().byteSize();
                    zeros = countZeros(w);
                }
                long denseBytes = rows * cols * 4;
                denseTotal += denseBytes - bytes;
                linearElements += rows * cols;
                linearZeros += zeros;
                o.printf(Locale.ROOT, "%-45s %-9s %11s %7.1f%% %12d %12d%n", name, layout, rows + "x" + cols,
                        100.0 * zeros / (rows * cols), bytes, denseBytes);
            }
            o.printf(Locale.ROOT, "linear layers: %.1f%% zeros; whole file: %d bytes of tensors packed vs %d dense F32 (%.2fx); "
                            + "file size %d bytes%n", 100.0 * linearZeros / Math.max(1, linearElements), packedTotal, denseTotal,
                    (double) denseTotal / packedTotal, Files.size(file));
        }
        return 0;
    }

    /** Linear names in model order (layer.I.ROLE metadata). */
    private static java.util.List<String> layers(Map<String, String> meta) {
        java.util.List<String> out = new java.util.ArrayList<>();
        int layers = Integer.parseInt(meta.getOrDefault("layers", "0"));
        for (int i = 0; i < layers; i++) {
            for (String role : java.util.List.of("query", "key", "value", "attention_output", "intermediate", "output")) {
                String n = meta.get("layer." + i + "." + role);
                if (n == null) {
                    throw new IllegalArgumentException("metadata layer." + i + "." + role + " missing");
                }
                out.add(n);
            }
        }
        return out;
    }

    private static long countZeros(SafeTensors.Tensor t) {
        long z = 0;
        long n = t.data().byteSize() / 4;
        for (long i = 0; i < n; i++) {
            if (t.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i) == 0f) {
                z++;
            }
        }
        return z;
    }
}
