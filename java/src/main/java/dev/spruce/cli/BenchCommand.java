package dev.spruce.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code spruce bench}: runs the JMH benchmarks from {@code jmh/target/benchmarks.jar} in a child JVM
 * (with the Vector API and native-access flags, JSON results) and prints the comparison table.
 * Every benchmark in the jar that uses the shared params (shape, batch, threads, dtype) is included,
 * so new kernels' benchmarks show up next to dense and OpenBLAS without changes here.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Run the JMH kernel benchmarks (a short subset by default) and print time, GFLOP/s, GB/s "
                + "and the ratios to OpenBLAS and to the dense Vector kernel; then time the embedded MiniLM end to "
                + "end: dense Java, 2:4 Java (magnitude) and ONNX Runtime at batch 1 and 32, as 'spruce bench-model' "
                + "does (--kernels-only skips that).",
                "OpenBLAS runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment by default, "
                + "so it picks its own kernel for this CPU; --openblas-env=machine keeps them."})
public final class BenchCommand implements Callable<Integer> {
    static final String QUICK_SHAPES = "4096x4096";
    static final String FULL_SHAPES = "4096x4096,11008x4096,4096x11008,2304x768,768x768,3072x768,768x3072,"
            + "384x384,1536x384,384x1536";

    @Option(names = "--full", description = "All standard shapes and batches, longer iterations (takes hours).")
    boolean full;

    @Option(names = "--quick", description = "The short subset (the default): 4096x4096, batches 1,32,256, 3 x 1 s iterations.")
    boolean quick;

    @Option(names = "--shapes", description = "Comma-separated MxK shapes (default 4096x4096 quick, all standard with --full).")
    String shapes;

    @Option(names = "--batches", description = "Comma-separated token counts (default 1,32,256 quick; 1,8,32,128,512,2048 full).")
    String batches;

    @Option(names = "--threads", description = "Comma-separated thread counts (default: ${DEFAULT-VALUE}).", defaultValue = "1,2")
    String threads;

    @Option(names = "--copies", paramLabel = "N", defaultValue = "1",
            description = "Copies of each kernel's weights, used in turn, one per call (default: ${DEFAULT-VALUE}). "
                    + "Enough to overflow the last-level cache make every call read its weights from memory, as a "
                    + "model with many layers does; the table then labels the shape MxK@N.")
    int copies = 1;

    @Option(names = "--dtypes", description = "Weight types for kernels that take one (default: ${DEFAULT-VALUE}).", defaultValue = "F32,BF16")
    String dtypes;

    @Option(names = "--include", description = "JMH regex of benchmarks to run (default: every benchmark in the jar).", defaultValue = "dev.spruce.jmh.*")
    String include;

    @Option(names = "--scalar", description = "Also run the scalar reference (very slow on big shapes).")
    boolean scalar;

    @Option(names = "--openblas-env", description = "clear (default): unset OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE; machine: keep them.", defaultValue = "clear")
    String openblasEnv;

    @Option(names = "--jar", description = "Path to benchmarks.jar (default: jmh/target/benchmarks.jar of this checkout).")
    Path jar;

    @Option(names = "--out", description = "Where to write the JMH JSON (default: jmh/results/bench-<time>.json).")
    Path out;

    @Option(names = "--from", description = "Do not run anything: print the table of an existing JMH JSON file.")
    Path from;

    @Option(names = "--kernels-only", description = "Only the kernel benchmarks, not the end-to-end MiniLM table.")
    boolean kernelsOnly;

    @Option(names = "--e2e-seconds", paramLabel = "S", defaultValue = "3",
            description = "Timed seconds per end-to-end measurement (default: ${DEFAULT-VALUE}).")
    double e2eSeconds;

    @Override
    public Integer call() throws Exception {
        if (quick && full) {
            throw new IllegalArgumentException("--quick and --full exclude each other");
        }
        if (!(e2eSeconds > 0)) {
            throw new IllegalArgumentException("--e2e-seconds must be > 0, got " + e2eSeconds);
        }
        if (from != null) {
            System.out.print(BenchTable.format(BenchTable.rows(Files.readString(from))));
            return 0;
        }
        if (!openblasEnv.equals("clear") && !openblasEnv.equals("machine")) {
            throw new IllegalArgumentException("--openblas-env must be 'clear' or 'machine', got '" + openblasEnv + "'");
        }
        Path root = projectRoot();
        Path benchJar = jar != null ? jar : root.resolve("jmh/target/benchmarks.jar");
        if (!Files.isRegularFile(benchJar)) {
            throw new IllegalStateException("no benchmarks jar at " + benchJar
                    + " (build it with 'mvn -q package -DskipTests' at the project root, or pass --jar)");
        }
        Path result = out != null ? out : root.resolve("jmh/results/bench-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json");
        Files.createDirectories(result.toAbsolutePath().getParent());
        List<String> cmd = command(benchJar, result);
        System.out.println("running: " + String.join(" ", cmd));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        if (openblasEnv.equals("clear")) {
            env.remove("OPENBLAS_CORETYPE");
            env.remove("OPENBLAS_L2_SIZE");
        }
        System.out.println("OpenBLAS environment: OPENBLAS_CORETYPE=" + env.getOrDefault("OPENBLAS_CORETYPE", "(unset)")
                + ", OPENBLAS_L2_SIZE=" + env.getOrDefault("OPENBLAS_L2_SIZE", "(unset)"));
        Path log = Path.of(result.toString().replaceFirst("\\.json$", "") + ".log");
        int code;
        Process p = pb.start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter w = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8))) {
            String line;
            boolean coreShown = false;
            while ((line = r.readLine()) != null) {
                w.println(line);
                if (line.startsWith("# Benchmark:") || line.startsWith("# Parameters:")) {
                    System.out.println(line);
                } else if (line.contains("OpenBLAS core:") && !coreShown) {
                    System.out.println(line.substring(line.indexOf("OpenBLAS core:")));
                    coreShown = true;
                } else if (line.contains("ERROR") || line.contains("Exception") || line.startsWith("<failure>")) {
                    System.out.println(line);
                }
            }
            code = p.waitFor();
        }
        if (code != 0 || !Files.isRegularFile(result)) {
            System.err.println("spruce bench: JMH exited with " + code + "; full log in " + log);
            return code == 0 ? 1 : code;
        }
        System.out.println();
        System.out.print(BenchTable.format(BenchTable.rows(Files.readString(result))));
        System.out.println("\nresults: " + result + "  (log: " + log + ")");
        if (kernelsOnly) {
            return 0;
        }
        System.out.println("\nend to end: the embedded all-MiniLM-L6-v2, dense and pruned 2:4 by magnitude "
                + "(spruce bench-model --method magnitude):");
        return Main.commandLine().execute("bench-model", "--method", "magnitude", "--seconds", Double.toString(e2eSeconds));
    }

    List<String> command(Path benchJar, Path result) {
        List<String> c = new ArrayList<>();
        c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        c.add("--add-modules");
        c.add("jdk.incubator.vector");
        c.add("--enable-native-access=ALL-UNNAMED");
        c.add("-jar");
        c.add(benchJar.toString());
        c.add(include);
        if (!scalar) {
            c.add("-e");
            c.add(".*\\.scalar$");
        }
        c.add("-p");
        c.add("shape=" + (shapes != null ? shapes : full ? FULL_SHAPES : QUICK_SHAPES));
        c.add("-p");
        c.add("batch=" + (batches != null ? batches : full ? "1,8,32,128,512,2048" : "1,32,256"));
        c.add("-p");
        c.add("threads=" + threads);
        c.add("-p");
        c.add("dtype=" + dtypes);
        if (copies < 1) {
            throw new IllegalArgumentException("--copies must be >= 1, got " + copies);
        }
        c.add("-p");
        c.add("copies=" + copies);
        if (TransparentHugePages.onRequest(TransparentHugePages.ENABLED)) {
            // The heap pages the launcher gives a user's run (see TransparentHugePages).
            c.add("-jvmArgsAppend");
            c.add("-XX:+UseTransparentHugePages");
        }
        String[] timing = full ? new String[] {"-wi", "3", "-w", "1s", "-i", "5", "-r", "1s", "-f", "1"}
                : new String[] {"-wi", "3", "-w", "1s", "-i", "3", "-r", "1s", "-f", "1"};
        c.addAll(List.of(timing));
        c.add("-rf");
        c.add("json");
        c.add("-rff");
        c.add(result.toString());
        return c;
    }

    /** The checkout root: the working directory if it has jmh/, else two levels above spruce-core.jar. */
    static Path projectRoot() {
        Path cwd = Path.of("").toAbsolutePath();
        for (Path p = cwd; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("jmh")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        try {
            Path jarPath = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path root = jarPath.getParent() == null ? null : jarPath.getParent().getParent();
            if (root != null && root.getParent() != null) {
                return root.getParent();
            }
        } catch (URISyntaxException | SecurityException e) {
            // fall through
        }
        return cwd;
    }
}
