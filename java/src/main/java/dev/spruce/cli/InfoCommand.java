package dev.spruce.cli;

import dev.spruce.kernel.Backend;
import dev.spruce.kernel.Backends;
import dev.spruce.kernel.Parallel;
import picocli.CommandLine.Command;

/** Prints what this machine offers: JVM, threads, and which backends load (with the reason when not). */
@Command(name = "info", description = "Show the JVM, thread count and available backends.")
public final class InfoCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("java     " + System.getProperty("java.vm.name") + " " + Runtime.version());
        System.out.println("threads  " + Parallel.defaultThreadCount() + " (set with -Dspruce.threads=N)");
        for (Backend b : Backends.cpu()) {
            System.out.println("backend  " + b.name() + ": " + b);
        }
        Backends.Probe v = Backends.vectorProbe();
        if (!v.available()) {
            System.out.println("backend  vector: not available: " + v.reason());
        }
        Backends.Probe c = Backends.cudaProbe();
        System.out.println("backend  cuda: " + (c.available() ? c.reason() : "not available: " + c.reason()));
    }
}
