package dev.spruce.cli;

import dev.spruce.cuda.CuBlas;
import dev.spruce.cuda.Cuda;
import dev.spruce.cuda.DeviceInfo;
import dev.spruce.kernel.cuda.bench.BenchReport;
import dev.spruce.kernel.cuda.bench.BenchResult;
import dev.spruce.kernel.cuda.bench.GpuBenchRunner;
import dev.spruce.kernel.cuda.bench.GpuBenchmark;
import dev.spruce.kernel.cuda.bench.GpuBenchmarks;
import dev.spruce.kernel.cuda.bench.TorchAnchor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The GPU host's one command: device query, every CUDA correctness test (the JUnit GPU tests through the
 * console launcher when the test classes are present, as in the gpu-bundle), the benchmark table (every
 * {@link GpuBenchmark} on the standard shapes and batches, each case verified before it is timed), and the
 * PyTorch anchor. The table is printed last; everything goes to the JSON file given by {@code --out}.
 */
@Command(name = "gpu-check", mixinStandardHelpOptions = true,
        description = "On a GPU host: device query, CUDA correctness tests, then the benchmark table (JSON to --out).")
public final class GpuCheckCommand implements Callable<Integer> {

    @Option(names = "--out", description = "JSON results file (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("results", "gpu-check.json");

    @Option(names = "--shapes", split = ",", description = "Weight shapes MxK (default: the LLaMA-7B and ViT-B shapes).")
    List<String> shapes;

    @Option(names = "--batches", split = ",", description = "Batch sizes (default: 1,8,32,128,512,2048).")
    List<Integer> batches;

    @Option(names = "--target-ms", description = "GPU time per timing repetition (default: ${DEFAULT-VALUE}).")
    double targetMs = 15;

    @Option(names = "--bench-seconds", description = "Time budget of the benchmark table; later cases are skipped"
            + " (default: ${DEFAULT-VALUE}).")
    double benchSeconds = 150;

    @Option(names = "--skip-junit", description = "Do not run the JUnit GPU tests.")
    boolean skipJunit;

    @Option(names = "--skip-torch", description = "Do not run the PyTorch anchor.")
    boolean skipTorch;

    @Option(names = "--python", description = "python3 for the PyTorch anchor (default: $SPRUCE_PYTHON or python3).")
    String python;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Path home = Path.of(System.getProperty("spruce.home", ".")).toAbsolutePath().normalize();
        StringBuilder json = new StringBuilder("{\n  \"date\": " + BenchReport.quote(Instant.now().toString())
                + ",\n  \"java\": " + BenchReport.quote(Runtime.version().toString()));
        System.out.println("== spruce gpu-check ==");
        if (!Cuda.available()) {
            System.out.println("CUDA unavailable: " + Cuda.unavailableReason());
            json.append(",\n  \"cuda_available\": false,\n  \"reason\": ")
                    .append(BenchReport.quote(Cuda.unavailableReason())).append("\n}\n");
            write(json);
            return 1;
        }
        int devices = Cuda.deviceCount();
        List<String> deviceJson = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
            DeviceInfo info = Cuda.device(d);
            System.out.println(info.summary());
            deviceJson.add(BenchReport.quote(info.summary()));
        }
        String blas = CuBlas.origin();
        System.out.println("cuBLAS: " + blas);
        json.append(",\n  \"cuda_available\": true,\n  \"devices\": [").append(String.join(", ", deviceJson))
                .append("],\n  \"cublas\": ").append(BenchReport.quote(blas));

        int junit = skipJunit ? -1 : runJunit(home);
        json.append(",\n  \"junit_exit\": ").append(junit);

        List<GpuBenchmarks.Shape> shapeList = parseShapes();
        List<Integer> batchList = batches == null ? GpuBenchmarks.STANDARD_BATCHES : batches;
        System.out.println("\n== benchmarks (each case verified against the CPU reference before timing) ==");
        List<GpuBenchmark> benches = GpuBenchmarks.standard();
        List<BenchResult> results = new ArrayList<>(
                new GpuBenchRunner(benches, shapeList, batchList, targetMs, System.out).withTimeBudget(benchSeconds).run());

        String torchInfo = "";
        String torchSkip = "--skip-torch";
        if (!skipTorch) {
            System.out.println("\n== PyTorch anchor ==");
            String py = pickPython();
            TorchAnchor.Outcome o = TorchAnchor.run(home.resolve("scripts/torch_anchor.py"), py, shapeList, batchList,
                    targetMs, 150);
            torchInfo = o.info();
            torchSkip = o.skipReason();
            System.out.println(o.skipReason() != null ? "skipped: " + o.skipReason() : "torch: " + o.info());
            results.addAll(o.results());
        }
        json.append(",\n  \"torch\": ").append(torchInfo.isEmpty() ? "null" : torchInfo)
                .append(",\n  \"torch_skip\": ").append(BenchReport.quote(torchSkip))
                .append(",\n  \"results\": [\n    ")
                .append(results.stream().map(BenchReport::json).collect(Collectors.joining(",\n    ")))
                .append("\n  ]");

        long wrong = results.stream().filter(r -> r.note().startsWith("WRONG") || r.note().startsWith("ERROR")).count();
        boolean ok = wrong == 0 && junit <= 0;
        json.append(",\n  \"failures\": ").append(wrong).append(",\n  \"seconds\": ")
                .append(BenchReport.num((System.nanoTime() - t0) / 1e9)).append(",\n  \"ok\": ").append(ok)
                .append("\n}\n");
        write(json);
        System.out.println("\n== results (" + shapeList.size() + " shapes x " + batchList.size() + " batches; JSON: "
                + out + ") ==");
        System.out.print(BenchReport.table(results));
        System.out.println("junit: " + (junit < 0 ? "not run" : junit == 0 ? "passed" : "FAILED (exit " + junit + ")")
                + "; benchmark cases wrong or failed: " + wrong + "; " + (ok ? "OK" : "FAILED"));
        return ok ? 0 : 1;
    }

    /** --python, else $SPRUCE_PYTHON, else python3 on the PATH, else the GPU image's PyTorch venv. */
    private String pickPython() {
        if (python != null) {
            return python;
        }
        String env = System.getenv("SPRUCE_PYTHON");
        if (env != null && !env.isBlank()) {
            return env;
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "python3"))) {
                return "python3";
            }
        }
        Path venv = Path.of("/opt/torch/.venv/bin/python3");
        return Files.isExecutable(venv) ? venv.toString() : "python3";
    }

    private void write(StringBuilder json) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(out, json, StandardCharsets.UTF_8);
    }

    private List<GpuBenchmarks.Shape> parseShapes() {
        if (shapes == null) {
            return GpuBenchmarks.STANDARD_SHAPES;
        }
        List<GpuBenchmarks.Shape> list = new ArrayList<>();
        for (String s : shapes) {
            String[] p = s.toLowerCase().split("x");
            if (p.length != 2) {
                throw new IllegalArgumentException("shape must be MxK, got '" + s + "'");
            }
            try {
                list.add(new GpuBenchmarks.Shape("custom", Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("shape must be MxK with integers, got '" + s + "'");
            }
        }
        return list;
    }

    /**
     * Runs the JUnit GPU tests (packages dev.spruce.cuda and dev.spruce.kernel.cuda, which include every
     * CUDA kernel's tests) in a child JVM through junit-platform-console-standalone. Returns its exit code,
     * or -1 when the test classes or the console launcher are not there (a source checkout runs them with
     * ./spruce test instead).
     */
    private int runJunit(Path home) throws IOException, InterruptedException {
        Path testClasses = home.resolve("java/target/test-classes");
        Path console = findConsole(home);
        System.out.println("\n== JUnit GPU tests ==");
        if (!Files.isDirectory(testClasses) || console == null) {
            System.out.println("skipped: " + (console == null ? "junit-platform-console-standalone jar not found"
                    : "no test classes at " + testClasses));
            return -1;
        }
        List<String> cp = new ArrayList<>();
        cp.add(home.resolve("java/target/spruce-core.jar").toString());
        try (Stream<Path> libs = Files.list(home.resolve("java/target/lib"))) {
            libs.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> cp.add(p.toString()));
        }
        cp.add(testClasses.toString());
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED"));
        // pass on Spruce and JavaCPP settings (spruce.home, spruce.threads, org.bytedeco.javacpp.cachedir, ...)
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("spruce.") || key.startsWith("org.bytedeco.")) {
                cmd.add("-D" + key + "=" + System.getProperty(key));
            }
        }
        cmd.addAll(List.of("-Dspruce.home=" + home, "-jar", console.toString(), "execute", "--disable-banner", "--disable-ansi-colors",
                "--details=tree", "--fail-if-no-tests", "--class-path", String.join(File.pathSeparator, cp),
                "--select-package", "dev.spruce.cuda", "--select-package", "dev.spruce.kernel.cuda"));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }

    private static Path findConsole(Path home) throws IOException {
        Path bundled = home.resolve("tools");
        if (Files.isDirectory(bundled)) {
            try (Stream<Path> s = Files.list(bundled)) {
                Path p = s.filter(f -> f.getFileName().toString().startsWith("junit-platform-console-standalone"))
                        .findFirst().orElse(null);
                if (p != null) {
                    return p;
                }
            }
        }
        return null;
    }
}
