package dev.spruce.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code spruce} command line. */
@Command(name = "spruce", mixinStandardHelpOptions = true, version = "spruce 0.1.0",
        description = "Prune neural-network weights into hardware-friendly sparse layouts and run them fast.",
        subcommands = {InfoCommand.class, BenchCommand.class, GpuCheckCommand.class})
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        int code = new CommandLine(new Main())
                .setExecutionExceptionHandler((ex, cmd, parsed) -> {
                    // Users get the message that names the problem; a stack trace only when asked for.
                    cmd.getErr().println("spruce " + cmd.getCommandName() + ": " + ex.getMessage());
                    if (Boolean.getBoolean("spruce.debug")) {
                        ex.printStackTrace(cmd.getErr());
                    }
                    return 2;
                })
                .execute(args);
        System.exit(code);
    }
}
