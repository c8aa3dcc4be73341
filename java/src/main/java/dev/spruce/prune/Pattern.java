package dev.spruce.prune;

/**
 * Which weights a pruner may keep. Sealed so every consumer can switch over the cases exhaustively;
 * new layouts (for example LPViT blocks) are added as new permitted records.
 *
 * <p>Weights are M x K (out x in). N:M and unstructured patterns act along K, inside each row; block
 * patterns tile the whole matrix into blockHeight x blockWidth blocks (LPViT).
 */
public sealed interface Pattern permits Pattern.NM, Pattern.Unstructured, Pattern.Block {

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

    /** Remove the fraction {@code sparsity} of the {@code blockHeight x blockWidth} blocks (see {@link Block}). */
    static Block block(int blockHeight, int blockWidth, double sparsity) {
        return new Block(blockHeight, blockWidth, sparsity);
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

    /**
     * Block sparsity (LPViT): W is tiled into {@code blockHeight x blockWidth} blocks (rows = output features,
     * columns = input features, aligned at (0, 0)) and whole blocks are kept or removed. {@link #removedBlocks}
     * of every layer's blocks are removed: floor(sparsity x blocks), so never more than asked (the rounding
     * {@link Unstructured} uses; LPViT's code keeps floor((1 - p) x blocks), i.e. removes the ceiling).
     * The kernels (BlockSparse) are built for 16, 32 and 64 on each side; smaller blocks are accepted for
     * tests and experiments.
     */
    record Block(int blockHeight, int blockWidth, double sparsity) implements Pattern {
        /** Largest block side accepted. */
        public static final int MAX_SIDE = 256;

        public Block {
            if (blockHeight < 1 || blockHeight > MAX_SIDE || blockWidth < 1 || blockWidth > MAX_SIDE) {
                throw new IllegalArgumentException("block shape must be 1.." + MAX_SIDE + " on each side, got "
                        + blockHeight + "x" + blockWidth);
            }
            if (!(sparsity >= 0.0 && sparsity < 1.0)) {
                throw new IllegalArgumentException("block sparsity must be in [0, 1), got " + sparsity);
            }
        }

        /** Blocks of a rows x cols matrix (after {@link #checkShape}). */
        public int blocks(int rows, int cols) {
            return (rows / blockHeight) * (cols / blockWidth);
        }

        /** Blocks removed out of {@code blocks}: floor(sparsity x blocks), with a tiny tolerance so 0.3 x 10 is 3. */
        public int removedBlocks(int blocks) {
            return (int) Math.min(blocks, Math.floor(sparsity * blocks + 1e-9));
        }

        @Override
        public void checkShape(int rows, int cols) {
            if (rows % blockHeight != 0 || cols % blockWidth != 0) {
                throw new IllegalArgumentException(blockHeight + "x" + blockWidth + " blocks need M a multiple of "
                        + blockHeight + " and K a multiple of " + blockWidth + ", but the weight is " + rows + "x" + cols
                        + (rows % blockHeight != 0 ? " (M=" + rows + " is not)" : "")
                        + (cols % blockWidth != 0 ? " (K=" + cols + " is not)" : ""));
            }
        }

        @Override
        public String toString() {
            return "block " + blockHeight + "x" + blockWidth + " " + sparsity;
        }
    }
}
