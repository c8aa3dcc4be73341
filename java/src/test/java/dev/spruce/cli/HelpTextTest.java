package dev.spruce.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * picocli renders descriptions through {@link String#format}: a bare '%' (as in "30% of the blocks") makes it print
 * a "[picocli WARN] Could not format" line above the help text and show the raw string, so a user's first
 * {@code --help} looks broken. Every command's help must render without a warning.
 */
class HelpTextTest {
    @Test
    void helpOfEveryCommandRendersWithoutWarnings() {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringBuilder usages = new StringBuilder();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine root = Main.commandLine();
            usages.append(root.getUsageMessage(CommandLine.Help.Ansi.OFF));
            for (CommandLine sub : root.getSubcommands().values()) {
                usages.append(sub.getUsageMessage(CommandLine.Help.Ansi.OFF));
            }
        } finally {
            System.setErr(saved);
        }
        assertEquals("", err.toString(StandardCharsets.UTF_8), "picocli warned while rendering help");
        assertFalse(usages.toString().contains("%n"), "a help text shows a raw %n");
    }
}
