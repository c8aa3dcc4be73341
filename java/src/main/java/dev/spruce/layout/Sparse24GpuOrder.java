package dev.spruce.layout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The GPU metadata order of a {@link Sparse24}: the single definition the CUDA {@code mma.sp} kernels consume.
 *
 * <p>Requires M % 32 == 0 and K % 32 == 0 ({@link Sparse24#padTo}{@code (32, 32)} first otherwise; this class
 * rejects other shapes instead of padding silently, because padding changes the shapes the caller must use).
 * Let {@code E[r][c]} be canonical 16-bit code word c of row r (16 logical k, four 4-bit codes, group
 * {@code 4c+j} in bits {@code 4j..4j+3}). The GPU buffer is {@code (M/32) * (K/32) * 32} little-endian 32-bit
 * words, nested {@code [slab][kstep][lane]} with slab = 32 weight rows, kstep = 32 logical k, lane = 0..31:
 * <pre>
 *   index(slab, kstep, lane) = (slab * (K/32) + kstep) * 32 + lane
 *   lane = 4*g + 2*s + h            g = 0..7, s = 0..1, h = 0..1
 *   bits 15..0  = E[32*slab + 16*s + g    ][2*kstep + h]
 *   bits 31..16 = E[32*slab + 16*s + g + 8][2*kstep + h]
 * </pre>
 * So for an {@code m16n8k32} {@code mma.sp} on rows {@code 32*slab + 16*s .. +15} (tile s of the slab) with
 * sparsity selector s, lane {@code 4g+2s+h} holds exactly the metadata register the instruction reads
 * (rows g and g+8, logical k-half h of the k32 step), and one (slab, kstep) is one coalesced 128-byte load.
 * Each word means the same as in CUTLASS {@code reorder_meta} + {@code ColumnMajorInterleaved<2>}
 * (research note gpu-2to4-kernels §1.5(a)); only the nesting differs: CUTLASS puts the word at
 * {@code kstep*M + 32*slab + lane} instead (k-step outer). The values need no reordering: row-major
 * M x K/2 feeds {@code ldmatrix} directly.
 */
public final class Sparse24GpuOrder {
    /** Rows per slab and logical k per step. */
    public static final int TILE = 32;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;

    private Sparse24GpuOrder() {
    }

    /** Number of 32-bit words of the GPU order for an M x K layout (M, K multiples of 32). */
    public static int words(int rows, int cols) {
        requireAligned(rows, cols);
        return Math.toIntExact((long) rows / TILE * (cols / TILE) * TILE);
    }

    /** Word index of (slab, kstep, lane) in a layout with K columns. */
    public static int index(int cols, int slab, int kstep, int lane) {
        return (slab * (cols / TILE) + kstep) * TILE + lane;
    }

    private static void requireAligned(int rows, int cols) {
        if (rows <= 0 || cols <= 0 || rows % TILE != 0 || cols % TILE != 0) {
            throw new IllegalArgumentException("the GPU metadata order needs M and K to be multiples of 32, got "
                    + rows + "x" + cols + "; use Sparse24.padTo(32, 32) (and pad the activations) first");
        }
    }

    /** The GPU-order words of {@code s}. */
    public static int[] encode(Sparse24 s) {
        s.requireOpen();
        int m = s.rows();
        int k = s.cols();
        int[] out = new int[words(m, k)];
        int ksteps = k / TILE;
        for (int slab = 0; slab < m / TILE; slab++) {
            for (int ks = 0; ks < ksteps; ks++) {
                for (int lane = 0; lane < TILE; lane++) {
                    int g = lane >>> 2;
                    int sIdx = (lane >>> 1) & 1;
                    int h = lane & 1;
                    int r = TILE * slab + 16 * sIdx + g;
                    int c = 2 * ks + h;
                    out[index(k, slab, ks, lane)] = s.word(r, c) | (s.word(r + 8, c) << 16);
                }
            }
        }
        return out;
    }

    /** Writes the GPU-order words of {@code s} into {@code dst} (at least {@code 4 * words} bytes, little-endian). */
    public static void encode(Sparse24 s, MemorySegment dst) {
        int[] w = encode(s);
        if (dst.byteSize() < 4L * w.length) {
            throw new IllegalArgumentException("destination has " + dst.byteSize() + " bytes, the GPU metadata needs "
                    + 4L * w.length);
        }
        MemorySegment.copy(w, 0, dst, I32, 0, w.length);
    }

    /**
     * The canonical code words (M x K/16 16-bit words, row-major) that {@code gpu} encodes: the exact inverse of
     * {@link #encode(Sparse24)}. Codes are not validated here; {@link Sparse24#fromParts} does that.
     */
    public static short[] decode(int rows, int cols, int[] gpu) {
        int n = words(rows, cols);
        if (gpu == null || gpu.length != n) {
            throw new IllegalArgumentException("GPU metadata for " + rows + "x" + cols + " must have " + n
                    + " words, got " + (gpu == null ? "null" : gpu.length));
        }
        int wpr = cols / 16;
        short[] e = new short[rows * wpr];
        for (int slab = 0; slab < rows / TILE; slab++) {
            for (int ks = 0; ks < cols / TILE; ks++) {
                for (int lane = 0; lane < TILE; lane++) {
                    int word = gpu[index(cols, slab, ks, lane)];
                    int r = TILE * slab + 16 * ((lane >>> 1) & 1) + (lane >>> 2);
                    int c = 2 * ks + (lane & 1);
                    e[r * wpr + c] = (short) word;
                    e[(r + 8) * wpr + c] = (short) (word >>> 16);
                }
            }
        }
        return e;
    }

    /** A layout from row-major values (M x K/2 of {@code valueType}) and GPU-order metadata; codes are validated. */
    public static Sparse24 toLayout(int rows, int cols, dev.spruce.tensor.DType valueType, MemorySegment values,
                                    int[] gpu) {
        return Sparse24.fromParts(rows, cols, valueType, values, MemorySegment.ofArray(decode(rows, cols, gpu)));
    }
}
