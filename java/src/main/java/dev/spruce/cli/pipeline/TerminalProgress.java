package dev.spruce.cli.pipeline;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;

/**
 * {@link Progress} as a terminal progress bar on stderr (me.tongfei:progressbar), so stdout keeps only the
 * results and can be piped. ASCII style: the bar must render on any terminal and in CI logs.
 */
public final class TerminalProgress implements Progress {
    private final PrintStream out;

    public TerminalProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public Task start(String name, long total) {
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(name)
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(out, 100))
                .continuousUpdate()
                .build();
        return new Task() {
            @Override
            public void stepTo(long done, String message) {
                bar.stepTo(done);
                if (message != null) {
                    bar.setExtraMessage(message);
                }
            }

            @Override
            public void close() {
                bar.close();
            }
        };
    }
}
