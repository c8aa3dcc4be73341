package dev.spruce.prune.armor;

/**
 * Chooses ARMOR's wrapper block sizes for one M x K layer. The wrappers cost bs·(M+K) multiply-adds per token
 * against M·K/2 for the 2:4 core, so a fixed bs = 128 (the paper's) costs 12.5% at 4096² but 133% on a 384²
 * layer: on small models it would erase the sparse speedup. The policy takes the largest power of two up to
 * {@link ArmorConfig#MAX_BLOCK} whose wrappers stay within the budget, then shrinks each side to a power of two
 * that divides it (blocks are contiguous index ranges; B's must also hold whole 2:4 groups, so it stays >= 4).
 */
public final class BlockSizePolicy {
    private BlockSizePolicy() {
    }

    /** The chosen sizes: A (rows, output side) and B (columns, input side). */
    public record Sizes(int a, int b) {
        /** Extra multiply-adds per token, as a fraction of the 2:4 core's. */
        public double overhead(int m, int k) {
            return ((double) a * m + (double) b * k) / (m * (double) k / 2);
        }
    }

    /** The budget-derived size (before divisibility): largest power of two in [4, 128] within the budget, else 4. */
    public static int fromBudget(int m, int k, double budget) {
        int best = 4;
        for (int bs = 4; bs <= ArmorConfig.MAX_BLOCK; bs <<= 1) {
            if ((double) bs * (m + k) <= budget * m * (double) k / 2) {
                best = bs;
            }
        }
        return best;
    }

    /** Block sizes for an M x K layer under {@code config} (explicit size or budget). K must be a multiple of 4. */
    public static Sizes choose(int m, int k, ArmorConfig config) {
        if (m < 1 || k < 4 || k % 4 != 0) {
            throw new IllegalArgumentException("ARMOR needs a 2:4 layer: in-features a multiple of 4, got " + m + "x" + k);
        }
        int bs = config.blockSize() != 0 ? config.blockSize() : fromBudget(m, k, config.costBudget());
        return new Sizes(largestPowerOfTwoDividing(m, bs), Math.max(4, largestPowerOfTwoDividing(k, bs)));
    }

    static int largestPowerOfTwoDividing(int n, int atMost) {
        int p = Integer.highestOneBit(atMost);
        while (p > 1 && n % p != 0) {
            p >>= 1;
        }
        return p;
    }
}
