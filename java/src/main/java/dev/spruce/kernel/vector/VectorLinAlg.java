package dev.spruce.kernel.vector;

import dev.spruce.kernel.linalg.LinAlgKernels;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float64 kernels on jdk.incubator.vector, loaded by name from {@code LinAlg} only after the module
 * check, so no always-loaded class refers to the incubator API.
 *
 * <p>The GEMM is a GotoBLAS-style blocked loop around an 8 x (3 vectors) register tile (24 FMA
 * accumulators, 24 columns at 512 bits; 4-row and 1-row tiles take the leftover rows; the 8-row tile
 * measured about 20% faster than the 4-row one in isolation). B is packed per (NC columns x KC rows) block into panels of
 * the tile's width, so the innermost loop reads one contiguous, zero-padded panel that stays in L1
 * while up to MC rows of A (kept in L2) stream past it; zero padding lets column tails run the full tile
 * and only the final store is partial.
 */
public final class VectorLinAlg implements LinAlgKernels {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Columns per register tile: three vectors. */
    private static final int NR = 3 * L;
    /** Rows of the secondary register tile. */
    private static final int MR = 4;
    /** Rows of B per packed block: one panel is KC*NR doubles = 24 KB at 512 bits, inside L1. */
    private static final int KC = 128;
    /** Rows of A per pass over a packed block: MC*KC doubles = 256 KB, inside L2. */
    private static final int MC = 256;
    /** Columns of B per packed block (whole panels): KC*NC doubles, about 0.5 MB, inside L2. */
    private static final int NC = NR * Math.max(1, 504 / NR);

    private static final ThreadLocal<double[]> PACK = ThreadLocal.withInitial(() -> new double[KC * NC]);
    private static final ThreadLocal<double[]> TAIL = ThreadLocal.withInitial(() -> new double[8 * NR]);

    public VectorLinAlg() {
        if (L < 2) {
            throw new UnsupportedOperationException("the preferred double vector has " + L
                    + " lane(s); the scalar kernels are as fast");
        }
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public String toString() {
        return "Vector API float64 kernels, " + S.vectorBitSize() + "-bit (" + L + " lanes)";
    }

    @Override
    public void gemm(int m, int n, int k, double alpha,
                     double[] a, int aOff, int lda,
                     double[] b, int bOff, int ldb,
                     double[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0 || k <= 0) {
            return;
        }
        double[] pack = PACK.get();
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int panels = (nc + NR - 1) / NR;
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                packB(b, bOff + p0 * ldb + jc, ldb, kc, nc, pack);
                for (int i0 = 0; i0 < m; i0 += MC) {
                    int mc = Math.min(MC, m - i0);
                    for (int q = 0; q < panels; q++) {
                        int j0 = jc + q * NR;
                        int width = Math.min(NR, n - j0);
                        int pb = q * kc * NR;
                        int i = i0;
                        int iEnd = i0 + mc;
                        for (; i + 8 <= iEnd; i += 8) {
                            tile8(kc, alpha, a, aOff + i * lda + p0, lda, pack, pb, c, cOff + i * ldc + j0, ldc, width);
                        }
                        for (; i + MR <= iEnd; i += MR) {
                            tile4(kc, alpha, a, aOff + i * lda + p0, lda, pack, pb, c, cOff + i * ldc + j0, ldc, width);
                        }
                        for (; i < iEnd; i++) {
                            tile1(kc, alpha, a, aOff + i * lda + p0, pack, pb, c, cOff + i * ldc + j0, width);
                        }
                    }
                }
            }
        }
    }

    /** Copies B[kc x nc] into panels of NR columns, each kc rows deep and contiguous; pads with zeros. */
    private static void packB(double[] b, int off, int ldb, int kc, int nc, double[] pack) {
        int panels = (nc + NR - 1) / NR;
        for (int q = 0; q < panels; q++) {
            int j0 = q * NR;
            int w = Math.min(NR, nc - j0);
            int dst = q * kc * NR;
            for (int p = 0; p < kc; p++) {
                int src = off + p * ldb + j0;
                System.arraycopy(b, src, pack, dst, w);
                if (w < NR) {
                    java.util.Arrays.fill(pack, dst + w, dst + NR, 0.0);
                }
                dst += NR;
            }
        }
    }

    /** The main register tile: 8 rows x 3 vectors, 24 accumulators (of 32 vector registers). */
    private static void tile8(int kc, double alpha, double[] a, int ai, int lda,
                              double[] pack, int pb, double[] c, int ci, int ldc, int width) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = DoubleVector.zero(S), c02 = DoubleVector.zero(S);
        DoubleVector c10 = DoubleVector.zero(S), c11 = DoubleVector.zero(S), c12 = DoubleVector.zero(S);
        DoubleVector c20 = DoubleVector.zero(S), c21 = DoubleVector.zero(S), c22 = DoubleVector.zero(S);
        DoubleVector c30 = DoubleVector.zero(S), c31 = DoubleVector.zero(S), c32 = DoubleVector.zero(S);
        DoubleVector c40 = DoubleVector.zero(S), c41 = DoubleVector.zero(S), c42 = DoubleVector.zero(S);
        DoubleVector c50 = DoubleVector.zero(S), c51 = DoubleVector.zero(S), c52 = DoubleVector.zero(S);
        DoubleVector c60 = DoubleVector.zero(S), c61 = DoubleVector.zero(S), c62 = DoubleVector.zero(S);
        DoubleVector c70 = DoubleVector.zero(S), c71 = DoubleVector.zero(S), c72 = DoubleVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bp = pb + p * NR;
            DoubleVector b0 = DoubleVector.fromArray(S, pack, bp);
            DoubleVector b1 = DoubleVector.fromArray(S, pack, bp + L);
            DoubleVector b2 = DoubleVector.fromArray(S, pack, bp + 2 * L);
            DoubleVector x;
            x = DoubleVector.broadcast(S, a[ai + 0 * lda + p]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            c02 = b2.fma(x, c02);
            x = DoubleVector.broadcast(S, a[ai + 1 * lda + p]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            c12 = b2.fma(x, c12);
            x = DoubleVector.broadcast(S, a[ai + 2 * lda + p]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            c22 = b2.fma(x, c22);
            x = DoubleVector.broadcast(S, a[ai + 3 * lda + p]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            c32 = b2.fma(x, c32);
            x = DoubleVector.broadcast(S, a[ai + 4 * lda + p]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            c42 = b2.fma(x, c42);
            x = DoubleVector.broadcast(S, a[ai + 5 * lda + p]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            c52 = b2.fma(x, c52);
            x = DoubleVector.broadcast(S, a[ai + 6 * lda + p]);
            c60 = b0.fma(x, c60);
            c61 = b1.fma(x, c61);
            c62 = b2.fma(x, c62);
            x = DoubleVector.broadcast(S, a[ai + 7 * lda + p]);
            c70 = b0.fma(x, c70);
            c71 = b1.fma(x, c71);
            c72 = b2.fma(x, c72);
        }
        if (width == NR) {
            DoubleVector al = DoubleVector.broadcast(S, alpha);
            int r = ci;
            c00.fma(al, DoubleVector.fromArray(S, c, r)).intoArray(c, r);
            c01.fma(al, DoubleVector.fromArray(S, c, r + L)).intoArray(c, r + L);
            c02.fma(al, DoubleVector.fromArray(S, c, r + 2 * L)).intoArray(c, r + 2 * L);
            r += ldc;
            c10.fma(al, DoubleVector.fromArray(S, c, r)).intoArray(c, r);
            c11.fma(al, DoubleVector.fromArray(S, c, r + L)).intoArray(c, r + L);
            c12.fma(al, DoubleVector.fromArray(S, c, r + 2 * L)).intoArray(c, r + 2 * L);
            r += ldc;
            c20.fma(al, DoubleVector.fromArray(S, c, r)).intoArray(c, r);
            c21.fma(al, DoubleVector.fromArray(S, c, r + L)).intoArray(c, r + L);
            c22.fma(al, DoubleVector.fromArray(S, c, r + 2 * L)).intoArray(c, r + 2 * L);
            r += ldc;
            c30.fma(al, DoubleVector.fromArray(S, c, r)).intoArray(c, r);
            c31.fma(al, DoubleVector.fromArray(S, c, r + L)).intoArray(c, r + L);
            c32.fma(al, DoubleVector.fromArray(S, c, r + 2 * L)).intoArray(c, r + 2 * L);
            r += ldc;
            c40.fma(al, DoubleVector.fromArray(S, c, r)).intoArray(c, r);
            c41.fma(al, DoubleVector.fromArray(S, c, r + L)).intoArray(c, r + L);
            c42.fma(al, DoubleVector.fromArray(S, c, r + 2 * L)).intoArray(c, r + 2 * L);
            r += ldc;
            c50.fma(al, DoubleVector.fromArray(S, c, r)).intoArray(c, r);
            c51.fma(al, DoubleVector.fromArray(S, c, r + L)).intoArray(c, r + L);
            c52.fma(al, DoubleVector.fromArray(S, c, r + 2 * L)).intoArray(c, r + 2 * L);
            r += ldc;
            c60.fma(al, DoubleVector.fromArray(S, c, r)).intoArray(c, r);
            c61.fma(al, DoubleVector.fromArray(S, c, r + L)).intoArray(c, r + L);
            c62.fma(al, DoubleVector.fromArray(S, c, r + 2 * L)).intoArray(c, r + 2 * L);
            r += ldc;
            c70.fma(al, DoubleVector.fromArray(S, c, r)).intoArray(c, r);
            c71.fma(al, DoubleVector.fromArray(S, c, r + L)).intoArray(c, r + L);
            c72.fma(al, DoubleVector.fromArray(S, c, r + 2 * L)).intoArray(c, r + 2 * L);
            r += ldc;
        } else {
            double[] t = TAIL.get();
            c00.intoArray(t, 0 * NR);
            c01.intoArray(t, 0 * NR + L);
            c02.intoArray(t, 0 * NR + 2 * L);
            c10.intoArray(t, 1 * NR);
            c11.intoArray(t, 1 * NR + L);
            c12.intoArray(t, 1 * NR + 2 * L);
            c20.intoArray(t, 2 * NR);
            c21.intoArray(t, 2 * NR + L);
            c22.intoArray(t, 2 * NR + 2 * L);
            c30.intoArray(t, 3 * NR);
            c31.intoArray(t, 3 * NR + L);
            c32.intoArray(t, 3 * NR + 2 * L);
            c40.intoArray(t, 4 * NR);
            c41.intoArray(t, 4 * NR + L);
            c42.intoArray(t, 4 * NR + 2 * L);
            c50.intoArray(t, 5 * NR);
            c51.intoArray(t, 5 * NR + L);
            c52.intoArray(t, 5 * NR + 2 * L);
            c60.intoArray(t, 6 * NR);
            c61.intoArray(t, 6 * NR + L);
            c62.intoArray(t, 6 * NR + 2 * L);
            c70.intoArray(t, 7 * NR);
            c71.intoArray(t, 7 * NR + L);
            c72.intoArray(t, 7 * NR + 2 * L);
            addTail(t, 8, alpha, c, ci, ldc, width);
        }
    }

    private static void tile4(int kc, double alpha, double[] a, int ai, int lda,
                              double[] pack, int pb, double[] c, int ci, int ldc, int width) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = DoubleVector.zero(S), c02 = DoubleVector.zero(S);
        DoubleVector c10 = DoubleVector.zero(S), c11 = DoubleVector.zero(S), c12 = DoubleVector.zero(S);
        DoubleVector c20 = DoubleVector.zero(S), c21 = DoubleVector.zero(S), c22 = DoubleVector.zero(S);
        DoubleVector c30 = DoubleVector.zero(S), c31 = DoubleVector.zero(S), c32 = DoubleVector.zero(S);
        int a0 = ai, a1 = ai + lda, a2 = ai + 2 * lda, a3 = ai + 3 * lda;
        for (int p = 0; p < kc; p++) {
            int bp = pb + p * NR;
            DoubleVector b0 = DoubleVector.fromArray(S, pack, bp);
            DoubleVector b1 = DoubleVector.fromArray(S, pack, bp + L);
            DoubleVector b2 = DoubleVector.fromArray(S, pack, bp + 2 * L);
            DoubleVector x = DoubleVector.broadcast(S, a[a0 + p]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            c02 = b2.fma(x, c02);
            x = DoubleVector.broadcast(S, a[a1 + p]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            c12 = b2.fma(x, c12);
            x = DoubleVector.broadcast(S, a[a2 + p]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            c22 = b2.fma(x, c22);
            x = DoubleVector.broadcast(S, a[a3 + p]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            c32 = b2.fma(x, c32);
        }
        // Stores are written out here, not in a helper taking the vectors as arguments: a helper that
        // C2 declines to inline would box every accumulator (measured: 20x slower).
        if (width == NR) {
            DoubleVector al = DoubleVector.broadcast(S, alpha);
            int r = ci;
            c00.fma(al, DoubleVector.fromArray(S, c, r)).intoArray(c, r);
            c01.fma(al, DoubleVector.fromArray(S, c, r + L)).intoArray(c, r + L);
            c02.fma(al, DoubleVector.fromArray(S, c, r + 2 * L)).intoArray(c, r + 2 * L);
            r += ldc;
            c10.fma(al, DoubleVector.fromArray(S, c, r)).intoArray(c, r);
            c11.fma(al, DoubleVector.fromArray(S, c, r + L)).intoArray(c, r + L);
            c12.fma(al, DoubleVector.fromArray(S, c, r + 2 * L)).intoArray(c, r + 2 * L);
            r += ldc;
            c20.fma(al, DoubleVector.fromArray(S, c, r)).intoArray(c, r);
            c21.fma(al, DoubleVector.fromArray(S, c, r + L)).intoArray(c, r + L);
            c22.fma(al, DoubleVector.fromArray(S, c, r + 2 * L)).intoArray(c, r + 2 * L);
            r += ldc;
            c30.fma(al, DoubleVector.fromArray(S, c, r)).intoArray(c, r);
            c31.fma(al, DoubleVector.fromArray(S, c, r + L)).intoArray(c, r + L);
            c32.fma(al, DoubleVector.fromArray(S, c, r + 2 * L)).intoArray(c, r + 2 * L);
        } else {
            double[] t = TAIL.get();
            c00.intoArray(t, 0);
            c01.intoArray(t, L);
            c02.intoArray(t, 2 * L);
            c10.intoArray(t, NR);
            c11.intoArray(t, NR + L);
            c12.intoArray(t, NR + 2 * L);
            c20.intoArray(t, 2 * NR);
            c21.intoArray(t, 2 * NR + L);
            c22.intoArray(t, 2 * NR + 2 * L);
            c30.intoArray(t, 3 * NR);
            c31.intoArray(t, 3 * NR + L);
            c32.intoArray(t, 3 * NR + 2 * L);
            addTail(t, 4, alpha, c, ci, ldc, width);
        }
    }

    private static void tile1(int kc, double alpha, double[] a, int ai,
                              double[] pack, int pb, double[] c, int ci, int width) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = DoubleVector.zero(S), c02 = DoubleVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bp = pb + p * NR;
            DoubleVector x = DoubleVector.broadcast(S, a[ai + p]);
            c00 = DoubleVector.fromArray(S, pack, bp).fma(x, c00);
            c01 = DoubleVector.fromArray(S, pack, bp + L).fma(x, c01);
            c02 = DoubleVector.fromArray(S, pack, bp + 2 * L).fma(x, c02);
        }
        double[] t = TAIL.get();
        c00.intoArray(t, 0);
        c01.intoArray(t, L);
        c02.intoArray(t, 2 * L);
        addTail(t, 1, alpha, c, ci, 0, width);
    }

    /** C[r][0 .. width) += alpha * t[r*NR ..] for r < rows: the partial-width (and single-row) store. */
    private static void addTail(double[] t, int rows, double alpha, double[] c, int ci, int ldc, int width) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < width; j++) {
                c[ci + r * ldc + j] += alpha * t[r * NR + j];
            }
        }
    }

    @Override
    public void axpy(int n, double alpha, double[] x, int xOff, double[] y, int yOff) {
        DoubleVector av = DoubleVector.broadcast(S, alpha);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            DoubleVector.fromArray(S, x, xOff + i).fma(av, DoubleVector.fromArray(S, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    public double dot(int n, double[] x, int xOff, double[] y, int yOff) {
        DoubleVector acc0 = DoubleVector.zero(S);
        DoubleVector acc1 = acc0;
        int i = 0;
        for (int bound = n - 2 * L + 1; i < bound; i += 2 * L) {
            acc0 = DoubleVector.fromArray(S, x, xOff + i).fma(DoubleVector.fromArray(S, y, yOff + i), acc0);
            acc1 = DoubleVector.fromArray(S, x, xOff + i + L).fma(DoubleVector.fromArray(S, y, yOff + i + L), acc1);
        }
        for (; i + L <= n; i += L) {
            acc0 = DoubleVector.fromArray(S, x, xOff + i).fma(DoubleVector.fromArray(S, y, yOff + i), acc0);
        }
        double s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += x[xOff + i] * y[yOff + i];
        }
        return s;
    }
}
