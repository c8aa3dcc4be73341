package dev.spruce.cli.pipeline;

/** Reports the progress of a long step (calibration, pruning layer by layer). */
public interface Progress {

    /** One running task. */
    interface Task extends AutoCloseable {
        void stepTo(long done, String message);

        @Override
        void close();
    }

    Task start(String name, long total);

    /** Reports nothing (tests, and --quiet). */
    static Progress none() {
        return (name, total) -> new Task() {
            @Override
            public void stepTo(long done, String message) {
            }

            @Override
            public void close() {
            }
        };
    }
}
