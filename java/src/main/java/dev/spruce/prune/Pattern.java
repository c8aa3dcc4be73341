package dev.spruce.prune;

/**
 * Which weights a pruner may keep. Sealed so every consumer can switch over the cases exhaustively;
 * new layouts (for example LPViT blocks) are added as new permitted records.
 *
 * <p>Weights are M x K (out x in) and patterns act along K, inside each row.
 */
public sealed interface Pattern permits Pattern.NM, Pattern.Unstructured {

    /** 2:4, the NVIDIA sparse tensor core layout. */
    NM TWO_FOUR = new NM(2, 4);

    /** Keep {@code n} of every {@code m} consecutive weights of a row (groups aligned at column 0). */
    static NM nm(int n, int m) {
        return new NM(n, m);
    }

    /** Prune the fraction {@code sparsity} of the weights, no structure. */
    static Unstructured unstructured(double sparsity) {
        return new Unstructured(sparsity);
    }

    /** Fraction of weights removed. */
    double sparsity();

    /** Throws a clear {@link IllegalArgumentException} if a rows x cols weight matrix cannot take this pattern. */
    void checkShape(int rows, int cols);

    /**
     * N:M sparsity: in every aligned group of {@code m} consecutive columns of a row, {@code n} are kept.
     * 2:4 is the one sparse tensor cores run; 1:4, 2:8 and 4:8 are the usual variants.
     */
    record NM(int n, int m) implements Pattern {
        /** Largest group accepted: a group's mask must fit in the 64-bit words the masks are stored in. */
        public static final int MAX_M = 64;

        public NM {
            if (m < 2 || m > MAX_M) {
                throw new IllegalArgumentException("N:M group size M must be in 2.." + MAX_M + ", got " + n + ":" + m);
            }
            if (n < 1 || n >= m) {
                throw new IllegalArgumentException("N:M must keep 1 <= N < M weights per group, got " + n + ":" + m);
            }
        }

        @Override
        public double sparsity() {
            return 1.0 - (double) n / m;
        }

        @Override
        public void checkShape(int rows, int cols) {
            if (cols % m != 0) {
                throw new IllegalArgumentException(n + ":" + m + " sparsity groups " + m + " consecutive input columns, but the "
                        + rows + "x" + cols + " weight has K=" + cols + ", not a multiple of " + m
                        + " (pad K with zero columns to " + ((cols + m - 1) / m) * m + " first)");
            }
        }

        @Override
        public String toString() {
            return n + ":" + m;
        }
    }

    /** Unstructured sparsity: {@code floor(sparsity * size)} weights of each selection scope are removed. */
    record Unstructured(double sparsity) implements Pattern {
        public Unstructured {
            if (!(sparsity >= 0.0 && sparsity < 1.0)) {
                throw new IllegalArgumentException("unstructured sparsity must be in [0, 1), got " + sparsity);
            }
        }

        @Override
        public void checkShape(int rows, int cols) {
            // any shape
        }

        @Override
        public String toString() {
            return "unstructured " + sparsity;
        }
    }
}
