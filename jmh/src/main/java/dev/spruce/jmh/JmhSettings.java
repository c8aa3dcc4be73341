package dev.spruce.jmh;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The run settings every Spruce benchmark inherits: average time in microseconds, 3 + 5 one-second iterations,
 * one fork that gets the Vector API and native-access flags (without them the kernels under test would not load)
 * and a fixed 2 GB heap. {@code spruce bench} overrides the iteration counts on its command line.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"},
        jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public abstract class JmhSettings {
}
