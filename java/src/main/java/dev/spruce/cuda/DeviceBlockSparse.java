package dev.spruce.cuda;

import dev.spruce.layout.BlockSparse;
import dev.spruce.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A {@link BlockSparse} layout resident on the device in the form the {@code mma.sync} block-sparse kernel reads:
 * the BSR block values (bf16, unchanged) and the {@link BlockRowGroups} index arrays. Upload once, multiply many
 * times; {@link #close()} frees the four buffers.
 */
public final class DeviceBlockSparse implements AutoCloseable {
    private final int rows;
    private final int cols;
    private final int bh;
    private final int bw;
    private final int blockCount;
    private final int entries;
    private final DeviceBuffer values;
    private final DeviceBuffer groupPtr;
    private final DeviceBuffer entryCol;
    private final DeviceBuffer entryBlock;

    private DeviceBlockSparse(BlockSparse s, int entries, DeviceBuffer values, DeviceBuffer groupPtr,
                              DeviceBuffer entryCol, DeviceBuffer entryBlock) {
        this.rows = s.rows();
        this.cols = s.cols();
        this.bh = s.blockHeight();
        this.bw = s.blockWidth();
        this.blockCount = s.blockCount();
        this.entries = entries;
        this.values = values;
        this.groupPtr = groupPtr;
        this.entryCol = entryCol;
        this.entryBlock = entryBlock;
    }

    /** The shape, type and block rules of the GPU path, checked without touching CUDA. */
    public static void check(BlockSparse s) {
        if (s == null) {
            throw new IllegalArgumentException("block-sparse weights must not be null");
        }
        s.requireOpen();
        if (s.valueType() != DType.BF16) {
            throw new IllegalArgumentException("the CUDA block-sparse kernel needs bf16 values (bf16 tensor-core"
                    + " MMA), got " + s.valueType() + "; pack with BlockSparse.fromDense(dense, bh, bw, DType.BF16)");
        }
        if (!blockSizeOk(s.blockHeight()) || !blockSizeOk(s.blockWidth())) {
            throw new IllegalArgumentException("the CUDA block-sparse kernel runs 16, 32 or 64 in each block"
                    + " direction, got " + s.blockHeight() + "x" + s.blockWidth() + " blocks");
        }
    }

    private static boolean blockSizeOk(int b) {
        return b == 16 || b == 32 || b == 64;
    }

    /** Uploads {@code s} (bf16 values, blocks 16/32/64 each way). */
    public static DeviceBlockSparse upload(BlockSparse s) {
        check(s);
        BlockRowGroups g = BlockRowGroups.of(s);
        Cuda.require();
        DeviceBuffer v = null;
        DeviceBuffer gp = null;
        DeviceBuffer ec = null;
        DeviceBuffer eb = null;
        try {
            // The kernel wants valid pointers even for an empty matrix: at least 16 bytes each.
            v = DeviceBuffer.allocate(Math.max(16, s.values().byteSize()));
            if (s.values().byteSize() > 0) {
                v.copyFrom(s.values());
            }
            gp = ints(g.groupPtr());
            ec = ints(g.entryCol());
            eb = ints(g.entryBlock());
            return new DeviceBlockSparse(s, g.entries(), v, gp, ec, eb);
        } catch (RuntimeException e) {
            for (DeviceBuffer b : new DeviceBuffer[] {v, gp, ec, eb}) {
                if (b != null) {
                    b.close();
                }
            }
            throw e;
        }
    }

    private static DeviceBuffer ints(int[] a) {
        DeviceBuffer b = DeviceBuffer.allocate(Math.max(16, 4L * a.length));
        if (a.length > 0) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment host = arena.allocate(4L * a.length, 64);
                MemorySegment.copy(a, 0, host, ValueLayout.JAVA_INT, 0, a.length);
                b.copyFrom(host);
            }
        }
        return b;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int blockHeight() {
        return bh;
    }

    public int blockWidth() {
        return bw;
    }

    public int blockCount() {
        return blockCount;
    }

    /** Row-group entries: (group, column) pairs whose X slice the kernel loads once per token tile. */
    public int entries() {
        return entries;
    }

    public DeviceBuffer values() {
        return values;
    }

    public DeviceBuffer groupPtr() {
        return groupPtr;
    }

    public DeviceBuffer entryCol() {
        return entryCol;
    }

    public DeviceBuffer entryBlock() {
        return entryBlock;
    }

    public String shapeString() {
        return rows + "x" + cols + " " + bh + "x" + bw + "-block bf16";
    }

    public void requireOpen() {
        values.requireOpen();
        groupPtr.requireOpen();
        entryCol.requireOpen();
        entryBlock.requireOpen();
    }

    public boolean isClosed() {
        return values.isClosed() || groupPtr.isClosed() || entryCol.isClosed() || entryBlock.isClosed();
    }

    @Override
    public void close() {
        values.close();
        groupPtr.close();
        entryCol.close();
        entryBlock.close();
    }

    @Override
    public String toString() {
        return "DeviceBlockSparse[" + shapeString() + ", " + blockCount + " blocks" + (isClosed() ? ", closed]" : "]");
    }
}
