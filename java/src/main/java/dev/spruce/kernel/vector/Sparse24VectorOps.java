package dev.spruce.kernel.vector;

import dev.spruce.kernel.Checks;
import dev.spruce.kernel.Op;
import dev.spruce.kernel.Parallel;
import dev.spruce.layout.Sparse24;
import dev.spruce.tensor.DType;
import dev.spruce.tensor.Matrix;

import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * The 2:4 products of {@link VectorBackend}: argument checks, the choice between the two kernels and the split of
 * rows over {@link Parallel}. Holds no Vector API statics; the kernels are width-specialised copies.
 *
 * <p>Scheme by batch size n: one token uses {@link Sparse24Gemv} (weights stream once in the layout's own bytes,
 * activations selected in registers: memory-bound, wins by bytes); two or more use {@link Sparse24RowGemm} (lanes
 * over weight rows, from a per-layer repacked copy: each kept value costs a lane permute and an FMA, no load),
 * except layers too big for the caches at a few tokens (BF16 below 7, F32 below 4), which stay on the dot kernel:
 * still close to memory-bound there, it reads the layout's own bytes once (fewer than the 5 per kept value of the
 * repack); more than three token vectors (49 tokens and more at 512 bits) use
 * {@link Sparse24TokenGemm} (lanes over tokens, from its own per-layer copy: an FMA per kept value and token
 * vector, no permute). F32 and BF16 values; F16 values are refused (there is no half-float widening in the Vector
 * API to use here).
 */
final class Sparse24VectorOps {
    /** Tokens from which the row kernel runs (-Dspruce.sparse24.rowMinTokens, for measurements). */
    private static final int ROW_MIN_TOKENS = Integer.getInteger("spruce.sparse24.rowMinTokens", 2);
    /**
     * Layers whose values exceed this stay on the dot kernel below {@link #BF16_ROW_MIN_TOKENS} (BF16) or
     * {@link #F32_ROW_MIN_TOKENS} (F32) tokens. Dot kernel against row kernel, one thread, 2026-11-30 (ninth
     * session, eight rows x two tokens per pass), medians: F32 11008x4096 at 2 / 3 / 4 / 6 / 7 tokens 4.5 / 7.8 / 8.4
     * / 10.9 / 13.1 ms against 7.5 / 9.0 / 9.0 / 12.3 / 10.9, 4096x11008 at 2 tokens 4.8 against 7.9, 4096x4096 at 2
     * 1.37 against 1.65 and at 7 3.7 against 2.6; BF16 11008x4096 at 7 tokens 9.5 against the row kernel's 10.9 (its
     * repack is f32 for either value type). F32 switches at 4 because from there the dot kernel's lead is within
     * this machine's run-to-run noise and at 7 it loses. On small cached layers (1536x384) the row kernel keeps up
     * at 2 tokens and wins at 7, so they keep it. Re-measured once the row kernel prefetched its next segment
     * (eleventh session, 11008x4096, interleaved runs): F32 at 2 tokens the dot kernel still wins (4.2-4.3 ms against
     * 6.1-6.5), at 3 they are even (8.7-9.1 against 9.5-9.6 on a slower hour); BF16 at 4 and 6 the dot kernel wins
     * (4.6 against 5.8, 7.1 against 10.4), at 7 the row kernel now does (10.4-10.6 against 11.3-11.5), so BF16
     * switches at 7, not 8.
     */
    private static final long CACHED_BYTES = 4L << 20;
    private static final int BF16_ROW_MIN_TOKENS = 7;
    private static final int F32_ROW_MIN_TOKENS = 4;

    private final int threads;
    private final Sparse24DotKernel dot;
    private final Sparse24RowKernel rowGemm;
    private final Sparse24TokenKernel tokenGemm;
    /** Each layer's repacked copy for the row kernel, built on first use; weak keys, so it goes with the layer. */
    private final Map<Sparse24, Sparse24RowPack> rowPacks = Collections.synchronizedMap(new WeakHashMap<>());
    /**
     * Tokens from which the token kernel runs (-Dspruce.sparse24.tokenMinTokens, for measurements): more than 3
     * token vectors (49 at 512 bits). Against the row kernel, 1 thread, once the row kernel prefetched its next
     * segment (2026-11-30, eleventh session), 512 bits: 48 tokens 0.89-0.99x (11008x4096 35.0 against 34.8 ms,
     * 4096x11008 34.9 against 33.0, 4096² 14.0 against 12.4), 56 tokens 1.03-1.23x, 64 1.3-1.5x; 256 bits (forced):
     * 24 tokens 0.83-0.89x, 32 tokens 1.04-1.13x. (Before the prefetch it took over from 3 vectors: 48 tokens
     * 1.04-1.13x then.)
     */
    private final int tokenMinTokens;
    private static final int TOKEN_MIN_ROWS_PER_THREAD = Integer.getInteger("spruce.sparse24.tokenMinRows", 512);
    /** The calling thread's transposed token block, kept between calls (K x the kernel's block of tokens). */
    private final ThreadLocal<float[]> tokenTiles = new ThreadLocal<>();
    /** Each layer's copy for the token kernel, likewise. */
    private final Map<Sparse24, Sparse24TokenPack> tokenPacks = Collections.synchronizedMap(new WeakHashMap<>());

    Sparse24VectorOps(int bits, int threads) {
        this.threads = threads;
        this.dot = WidthSpecialized.instance(Sparse24Gemv.class, Sparse24DotKernel.class, bits);
        this.rowGemm = WidthSpecialized.instance(Sparse24RowGemm.class, Sparse24RowKernel.class, bits);
        this.tokenGemm = WidthSpecialized.instance(Sparse24TokenGemm.class, Sparse24TokenKernel.class, bits);
        this.tokenMinTokens = Integer.getInteger("spruce.sparse24.tokenMinTokens", tokenGemm.blockTokens() / 8 * 3 + 1);
    }

    static boolean supports(DType values) {
        return values == DType.F32 || values == DType.BF16;
    }

    private static void requireValues(Sparse24 s, Op op) {
        if (!supports(s.valueType())) {
            throw new UnsupportedOperationException("backend 'vector' does not implement " + op + " for "
                    + s.valueType() + " weights (F32 and BF16 values only)");
        }
    }

    void spmv24(Sparse24 s, Matrix x, Matrix y) {
        Checks.spmv24(s, x, y);
        requireValues(s, Op.SPMV24);
        product(s, x.segment(), x.rows(), y.segment());
    }

    void spmm24(Sparse24 s, Matrix x, Matrix y) {
        Checks.spmm24(s, x, y);
        requireValues(s, Op.SPMM24);
        product(s, x.segment(), x.rows(), y.segment());
    }

    /**
     * Whether an n-token product of {@code s} takes the token kernel: more than 3 token vectors, on layers with at
     * least {@link #TOKEN_MIN_ROWS_PER_THREAD} rows per thread. Each block of tokens is transposed and copied
     * tile by tile into L1 per row chunk, costs that only enough rows repay: on two threads at 256 tokens, 384
     * rows ran 1.30x slower than the row kernel, 768-1536 rows even, 1024 rows 6% and 3072 rows 28% faster
     * (2026-11-30).
     */
    boolean usesTokens(Sparse24 s, int n) {
        return n >= tokenMinTokens && s.rows() >= TOKEN_MIN_ROWS_PER_THREAD * threads;
    }

    /** Whether an n-token product of {@code s} takes the dot-product (register selection) kernel. */
    boolean usesDots(Sparse24 s, int n) {
        if (usesTokens(s, n)) {
            return false;
        }
        if (n < ROW_MIN_TOKENS || s.rows() < rowGemm.rowBlock()) {
            return true;
        }
        final boolean bf16 = s.valueType() == DType.BF16;
        final long valueBytes = (long) s.rows() * (s.cols() / 2) * (bf16 ? 2 : 4);
        return valueBytes > CACHED_BYTES && n < (bf16 ? BF16_ROW_MIN_TOKENS : F32_ROW_MIN_TOKENS);
    }

    /** Y = S X on raw, already checked segments (X is n x K, Y n x M), with the kernel {@link #usesDots} picks. */
    void product(Sparse24 s, MemorySegment xs, int n, MemorySegment ys) {
        if (usesDots(s, n)) {
            // No Parallel.threadsFor cut here: tried 2026-11-30, MiniLM's 2:4 layers on one thread made the demo's
            // batch-1 speed drop from 41 to 26 sentences/s (this path costs more per multiply-add than dense GEMM).
            Parallel.forRange(s.rows(), threads, 16, (r0, r1) -> dotRows(s, xs, n, ys, r0, r1));
        } else if (usesTokens(s, n)) {
            tokenBlocks(s, xs, n, ys);
        } else {
            rowBlocks(s, xs, n, ys);
        }
    }

    /** Rows [r0, r1) of Y = S X on raw, already checked segments, dot-product kernel. */
    void dotRows(Sparse24 s, MemorySegment xs, int n, MemorySegment ys, int r0, int r1) {
        dot.rows(s.values(), s.codes(), s.valueType() == DType.BF16, s.rows(), s.cols(), xs, n, ys, r0, r1);
    }

    private void rowBlocks(Sparse24 s, MemorySegment xs, int n, MemorySegment ys) {
        final MemorySegment vals = s.values();
        final MemorySegment codes = s.codes();
        final boolean bf16 = s.valueType() == DType.BF16;
        final int m = s.rows();
        final int k = s.cols();
        final int rb = rowGemm.rowBlock();
        final Sparse24RowPack pack = rowPack(s);
        final int whole = pack.rows;
        // Three chunks per thread, claimed as they go (as for dense panels): MiniLM 2:4 at batch 1 on 2 threads,
        // 3.45-3.59 vs 3.71-3.79 ms per sentence at best in 3 of 3 A/B pairs (2026-11-30).
        Parallel.forRangeBalanced(whole / rb, threads, 1, 3, (b0, b1) ->
                rowGemm.rows(pack, vals, codes, bf16, m, k, xs, n, ys, b0 * rb, b1 * rb));
        if (whole < m) {
            dot.rows(vals, codes, bf16, m, k, xs, n, ys, whole, m);
        }
    }

    /**
     * The token kernel, one block of tokens at a time: the block is transposed once (K rows of token columns,
     * columns past the last token zero), then the threads take row ranges of it.
     */
    private void tokenBlocks(Sparse24 s, MemorySegment xs, int n, MemorySegment ys) {
        final int k = s.cols();
        final int tb = tokenGemm.blockTokens();
        if ((long) k * tb > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("2:4 layer with K=" + k + " is too wide for the many-token CPU kernel");
        }
        final Sparse24TokenPack pack = tokenPack(s);
        final float[] xt = transposedBlock(k * tb);
        for (int t0 = 0; t0 < n; t0 += tb) {
            final int first = t0;
            final int nt = Math.min(tb, n - t0);
            Parallel.forRange(k, threads, 256, (k0, k1) -> tokenGemm.transpose(xs, k, first, nt, xt, k0, k1));
            // Three chunks per thread, claimed as they go, as for the row kernel.
            Parallel.forRangeBalanced(s.rows(), threads, 16, 3, (r0, r1) ->
                    tokenGemm.rows(pack, xt, first, nt, ys, r0, r1));
        }
    }

    /** The calling thread's buffer for a transposed block of tokens, at least {@code size} floats. */
    private float[] transposedBlock(int size) {
        float[] xt = tokenTiles.get();
        if (xt == null || xt.length < size) {
            xt = new float[size];
            tokenTiles.set(xt);
        }
        return xt;
    }

    private Sparse24TokenPack tokenPack(Sparse24 s) {
        return cachedPack(tokenPacks, s, () -> {
            Sparse24TokenPack fresh = Sparse24TokenPack.allocate(s);
            Parallel.forRange(s.rows(), threads, 16, (r0, r1) -> fresh.fill(s, r0, r1));
            return fresh;
        });
    }

    private Sparse24RowPack rowPack(Sparse24 s) {
        return cachedPack(rowPacks, s, () -> {
            Sparse24RowPack fresh = Sparse24RowPack.allocate(s, rowGemm.rowBlock());
            Parallel.forRange(fresh.rows / fresh.lanes, threads, 1, (b0, b1) -> fresh.fill(s, b0, b1));
            return fresh;
        });
    }

    /** The layer's copy in {@code packs}, built on first use. */
    private static <P> P cachedPack(Map<Sparse24, P> packs, Sparse24 s, Supplier<P> build) {
        P p = packs.get(s);
        if (p == null) {
            // A closed layer can never run again: drop its copy now rather than when the GC clears the key.
            synchronized (packs) {
                packs.keySet().removeIf(Sparse24::isClosed);
            }
            packs.putIfAbsent(s, build.get());
            p = packs.get(s);
        }
        return p;
    }
}
