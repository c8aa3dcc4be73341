package dev.spruce.kernel;

import dev.spruce.tensor.DType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a user's own JVM sees, in a fresh process: without jdk.incubator.vector Spruce says once, as a warning, that
 * it runs on the slow scalar reference and how to fix it; and CPU-only use never loads the CUDA native library.
 */
class BackendsStartupTest {
    /** Entry point of the child JVM: asks for the best CPU backend and prints its name. */
    public static void main(String[] args) {
        Backend gemm = Backends.bestCpu(Op.GEMM, DType.F32);
        System.out.println("backend=" + gemm.name());
        System.out.println("backend=" + Backends.bestCpu(Op.SPMM24, DType.F32).name());
        try (dev.spruce.tensor.Matrix w = dev.spruce.tensor.Matrix.allocate(64, 64, DType.F32)) {
            System.out.println("packedBytes=" + gemm.prepareGemm(w).packedBytes());
        }
    }

    private static String run(String... jvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-verbose:class", "-cp", System.getProperty("java.class.path"),
                BackendsStartupTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), new String(out, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void withoutTheVectorModuleItWarnsOnceAndRunsScalar() throws Exception {
        String out = run();
        assertTrue(out.contains("backend=scalar"), out);
        long warnings = out.lines().filter(l -> l.contains("Spruce runs its kernels on the scalar reference")).count();
        assertEquals(1, warnings, out);
        assertTrue(out.contains("--add-modules jdk.incubator.vector"), out);
    }

    @Test
    void withTheVectorModuleItIsQuietAndNeverLoadsCuda() throws Exception {
        String out = run("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED");
        assertTrue(out.contains("backend=vector"), out);
        assertFalse(out.contains("scalar reference"), out);
        assertFalse(out.lines().anyMatch(l -> l.contains("org.bytedeco.javacpp.Loader ")), "CUDA probe loaded JavaCPP");
        assertTrue(out.contains("packedBytes=" + 4 * 64 * 64), out); // dense F32 weights packed into panels
    }

    @Test
    void densePanelsCanBeTurnedOffToSaveMemory() throws Exception {
        String out = run("--add-modules", "jdk.incubator.vector", "-Dspruce.densePanels=false");
        assertTrue(out.contains("backend=vector"), out);
        assertTrue(out.contains("packedBytes=0"), out);
    }
}
