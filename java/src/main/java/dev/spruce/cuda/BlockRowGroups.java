package dev.spruce.cuda;

import dev.spruce.layout.BlockSparse;

import java.util.Arrays;

/**
 * The index arrays of the GPU's "row-grouped BSR" form of a {@link BlockSparse} matrix (see
 * {@code native/spruce_block.h}): block rows in groups of {@code G = 128 / bh}; per group one entry for each block
 * column any of its block rows keeps (increasing), with the BSR block index of each of the G block rows at that
 * column or -1. Built on the host (no CUDA needed), so it is tested everywhere; the values stay in BSR order.
 *
 * @param groupRows   block rows per group (G)
 * @param groupPtr    groups+1 entry offsets
 * @param entryCol    block column of each entry
 * @param entryBlock  entries x G block indices, -1 where the block row dropped the column or lies past M
 */
public record BlockRowGroups(int groupRows, int[] groupPtr, int[] entryCol, int[] entryBlock) {

    /** Builds the groups of {@code s}, whose block height must divide {@link BlockNative#GROUP_ROWS}. */
    public static BlockRowGroups of(BlockSparse s) {
        s.requireOpen();
        int bh = s.blockHeight();
        if (bh <= 0 || BlockNative.GROUP_ROWS % bh != 0) {
            throw new IllegalArgumentException("block height " + bh + " does not divide the GPU row group of "
                    + BlockNative.GROUP_ROWS + " rows");
        }
        int g = BlockNative.GROUP_ROWS / bh;
        int br = s.blockRows();
        int bc = s.blockCols();
        int groups = (br + g - 1) / g;
        int[] rowPtr = s.rowPointers();
        int[] cols = s.blockColumns();
        int[] groupPtr = new int[groups + 1];
        int[] entryCol = new int[Math.max(16, s.blockCount())];
        int[] entryBlock = new int[entryCol.length * g];
        int[] at = new int[bc]; // block index per column for the group being built, -1 if absent
        int e = 0;
        for (int q = 0; q < groups; q++) {
            boolean[] any = new boolean[bc];
            for (int r = 0; r < g && q * g + r < br; r++) {
                for (int p = rowPtr[q * g + r]; p < rowPtr[q * g + r + 1]; p++) {
                    any[cols[p]] = true;
                }
            }
            for (int j = 0; j < bc; j++) {
                if (!any[j]) {
                    continue;
                }
                if (e == entryCol.length) {
                    entryCol = Arrays.copyOf(entryCol, 2 * e);
                    entryBlock = Arrays.copyOf(entryBlock, 2 * e * g);
                }
                entryCol[e] = j;
                Arrays.fill(entryBlock, e * g, (e + 1) * g, -1);
                e++;
            }
            // Fill block indices: entries of this group are sorted by column, so a per-column slot index works.
            Arrays.fill(at, -1);
            for (int i = groupPtr[q]; i < e; i++) {
                at[entryCol[i]] = i;
            }
            for (int r = 0; r < g && q * g + r < br; r++) {
                for (int p = rowPtr[q * g + r]; p < rowPtr[q * g + r + 1]; p++) {
                    entryBlock[at[cols[p]] * g + r] = p;
                }
            }
            groupPtr[q + 1] = e;
        }
        return new BlockRowGroups(g, groupPtr, Arrays.copyOf(entryCol, e), Arrays.copyOf(entryBlock, e * g));
    }

    /** Number of entries (X slices a full pass loads per token tile). */
    public int entries() {
        return entryCol.length;
    }

    /** Number of row groups. */
    public int groups() {
        return groupPtr.length - 1;
    }
}
