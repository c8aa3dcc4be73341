package dev.spruce.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code spruce} command line. */
@Command(name = "spruce", mixinStandardHelpOptions = true, version = "spruce 0.1.0",
        description = "Prune neural-network weights into hardware-friendly sparse layouts and run them fast.",
        subcommands = {InfoCommand.class, BenchCommand.class, GpuCheckCommand.class, PruneCommand.class,
                EvalCommand.class, InspectCommand.class, DemoCommand.class, BenchModelCommand.class,
                ArmorStudyCommand.class})
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The configured command line. Every failure is one line naming the problem, exit code 2 (bad arguments)
     * or 1 (the work failed); {@code -Dspruce.debug=true} adds the stack trace.
     */
    public static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setParameterExceptionHandler((ex, args) -> {
                    CommandLine cmd = ex.getCommandLine();
                    cmd.getErr().println("spruce " + cmd.getCommandName() + ": " + ex.getMessage()
                            + " (see 'spruce " + (cmd.getParent() == null ? "" : cmd.getCommandName() + " ") + "--help')");
                    if (Boolean.getBoolean("spruce.debug")) {
                        ex.printStackTrace(cmd.getErr());
                    }
                    return 2;
                })
                .setExecutionExceptionHandler((ex, cmd, parsed) -> {
                    // Users get the message that names the problem; a stack trace only when asked for.
                    cmd.getErr().println("spruce " + cmd.getCommandName() + ": " + message(ex));
                    if (Boolean.getBoolean("spruce.debug")) {
                        ex.printStackTrace(cmd.getErr());
                    }
                    return ex instanceof IllegalArgumentException ? 2 : 1;
                });
    }

    /** The first line of the exception's message (or its cause's), never "null". */
    static String message(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.isBlank()) {
                String line = m.strip().lines().findFirst().orElse(m);
                return t == ex ? line : ex.getClass().getSimpleName() + ": " + line;
            }
        }
        return ex.getClass().getName() + " (no message; run with -Dspruce.debug=true for the stack trace)";
    }
}
