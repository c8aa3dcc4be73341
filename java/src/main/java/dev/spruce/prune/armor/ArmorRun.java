package dev.spruce.prune.armor;

import dev.spruce.kernel.Parallel;
import dev.spruce.kernel.linalg.LinAlg;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The state of one ARMOR optimisation, in NoWag's normalised space (W = D<sub>r</sub> W̄ D<sub>c</sub>): block-diagonal
 * A (M x M) and B (K x K), the 2:4 core S (values and mask), and the residual Δ = A S B − W̄ with its metric
 * product ΔG' kept current, so the loss, its gradient and every group re-solve read them directly.
 *
 * <p>Both losses are L = Σ<sub>i</sub> w<sub>i</sub> (Δ G' Δᵀ)<sub>ii</sub> / Z:
 * <ul>
 *   <li>diagonal (the reference): G' = diag(h), w<sub>i</sub> = 1;</li>
 *   <li>Gram: G' = D<sub>c</sub> G D<sub>c</sub>, w<sub>i</sub> = r<sub>i</sub><sup>2</sup>, which makes L exactly
 *       ‖(W − Ŵ) X‖² / ‖W X‖² in the original space.</li>
 * </ul>
 * With E = ∂L/∂(ASB) = 2 w ⊙ ΔG' / Z, P = S B and Q = A S, the gradients are ∂L/∂A<sub>j</sub> = E[R<sub>j</sub>,:]
 * P[R<sub>j</sub>,:]ᵀ, ∂L/∂B<sub>k</sub> = Q[:,C<sub>k</sub>]ᵀ E[:,C<sub>k</sub>] and ∂L/∂S = Aᵀ E Bᵀ (masked).
 *
 * <p>The discrete step re-solves one group per (row block, column block) tile, exactly. Row blocks touch
 * disjoint rows, so they run in parallel; inside a row block the tiles run one after another, each updating
 * ΔG' before the next reads it. With the diagonal metric this is the reference's all-tiles-at-once step;
 * with the Gram metric the column blocks interact, and the sequential sweep is what keeps every re-solve exact.
 */
final class ArmorRun {
    final int m;
    final int k;
    final int ba;
    final int bb;
    private final BlockOps ops;
    private final long seed;

    final double[] wbar;
    final double[] r;
    final double[] c;
    /** Row weights w_i of the loss. */
    final double[] rowW;
    /** Diagonal metric h (null with the Gram metric). */
    final double[] h;
    /** Gram metric G' (k x k; null with the diagonal metric). */
    final double[] gp;
    double z;

    final double[] a;
    final double[] b;
    final double[] s;
    final boolean[] mask;

    final double[] delta;
    final double[] dg;
    /** P = S B, kept current (the gradient of A needs it, and Δ = A P − W̄). */
    private final double[] p;
    private final double[] q;
    private final double[] scratch;
    private final double[] scratchT;
    final double[] gA;
    final double[] gB;
    final double[] gS;
    private final Adam adamA;
    private final Adam adamB;
    private final Adam adamS;
    private int adamSteps;

    ArmorRun(double[] w, int m, int k, BlockSizePolicy.Sizes sizes, double[] hRaw, double[] gram, int threads,
             long seed) {
        this.m = m;
        this.k = k;
        this.ba = sizes.a();
        this.bb = sizes.b();
        this.ops = new BlockOps(LinAlg.kernels(), threads);
        this.seed = seed;
        dev.spruce.prune.NoWagNormalization norm = dev.spruce.prune.NoWagNormalization.of(w, m, k);
        wbar = norm.normalized();
        r = norm.rows();
        c = norm.cols();
        rowW = new double[m];
        if (gram == null) {
            h = hRaw.clone();
            gp = null;
            Arrays.fill(rowW, 1.0);
        } else {
            h = null;
            gp = new double[k * k];
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    gp[i * k + j] = c[i] * gram[i * k + j] * c[j];
                }
            }
            for (int i = 0; i < m; i++) {
                rowW[i] = r[i] * r[i];
            }
        }
        a = BlockOps.identityBlocks(m, ba);
        b = BlockOps.identityBlocks(k, bb);
        s = new double[m * k];
        mask = new boolean[m * k];
        delta = new double[m * k];
        dg = new double[m * k];
        p = new double[m * k];
        q = new double[m * k];
        scratch = new double[m * k];
        scratchT = new double[m * k];
        gA = new double[a.length];
        gB = new double[b.length];
        gS = new double[m * k];
        adamA = new Adam(a.length);
        adamB = new Adam(b.length);
        adamS = new Adam(m * k);
        // Z = Σ w_i (W̄ G' W̄ᵀ)_ii: the loss of the all-zero approximation, which makes L relative.
        applyMetric(wbar, scratch);
        z = weightedDot(wbar, scratch);
        if (!(z > 0) || !Double.isFinite(z)) {
            throw new IllegalArgumentException("ARMOR: the layer's output energy on the calibration data is " + z
                    + " (all-zero weights or inputs?); there is nothing to approximate");
        }
    }

    /** Sets the core: values (normalised space) and mask; the wrappers stay as they are. */
    void setCore(double[] values, boolean[] keep) {
        System.arraycopy(values, 0, s, 0, s.length);
        System.arraycopy(keep, 0, mask, 0, mask.length);
        for (int i = 0; i < s.length; i++) {
            if (!mask[i]) {
                s[i] = 0;
            }
        }
        forward();
    }

    /** Recomputes Δ = A S B − W̄ and ΔG' from scratch. */
    void forward() {
        ops.right(s, m, k, b, bb, false, p);
        ops.left(a, ba, false, p, m, k, delta);
        for (int i = 0; i < delta.length; i++) {
            delta[i] -= wbar[i];
        }
        applyMetric(delta, dg);
    }

    private void applyMetric(double[] x, double[] out) {
        if (gp == null) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < k; j++) {
                    out[i * k + j] = x[i * k + j] * h[j];
                }
            }
        } else {
            Arrays.fill(out, 0.0);
            LinAlg.gemm(ops.kernels(), ops.threads(), m, k, k, 1.0, x, 0, k, gp, 0, k, out, 0, k);
        }
    }

    private double weightedDot(double[] x, double[] y) {
        double[] rows = new double[m];
        Parallel.forRange(m, ops.threads(), 16, (r0, r1) -> {
            for (int i = r0; i < r1; i++) {
                rows[i] = rowW[i] * ops.kernels().dot(k, x, i * k, y, i * k);
            }
        });
        double sum = 0;
        for (double v : rows) { // row order: independent of the thread count
            sum += v;
        }
        return sum;
    }

    /** The current loss, from the maintained Δ and ΔG'. */
    double loss() {
        return weightedDot(delta, dg) / z;
    }

    /** Gradients at the current point into gA, gB, gS (gS unmasked: the discrete step samples from it). */
    void gradients() {
        double[] e = scratch;
        for (int i = 0; i < m; i++) {
            double f = 2 * rowW[i] / z;
            for (int j = 0; j < k; j++) {
                e[i * k + j] = f * dg[i * k + j];
            }
        }
        ops.transpose(p, m, k, scratchT); // P = S B is kept current by forward() and every group re-solve
        ops.rowGradient(e, scratchT, m, k, ba, gA);
        ops.left(a, ba, false, s, m, k, q);
        ops.transpose(q, m, k, scratchT);
        ops.columnGradient(scratchT, e, m, k, bb, gB);
        ops.right(e, m, k, b, bb, true, q); // q is free again: E Bᵀ
        ops.left(a, ba, true, q, m, k, gS);
    }

    /** One joint Adam step on A, B and the kept core values, from the current gradients; then Δ is recomputed. */
    void adamStep(double lr) {
        adamSteps++;
        adamA.step(a, gA, null, 0, a.length, lr, adamSteps);
        adamB.step(b, gB, null, 0, b.length, lr, adamSteps);
        int t = adamSteps;
        Parallel.forRange(m, ops.threads(), 16, (r0, r1) -> adamS.step(s, gS, mask, r0 * k, r1 * k, lr, t));
        forward();
    }

    /**
     * One discrete sweep: in every tile, one group sampled with probability proportional to the L1 norm of the
     * core gradient gS over the group (uniform if the tile's gradient is all zero), re-solved exactly.
     */
    void discreteStep(int iteration) {
        if (gp == null) {
            diagonalSweep(iteration);
        } else {
            gramSweep(iteration);
        }
    }

    /** Diagonal metric: tiles are independent; a group's change touches only its own tile of ΔG'. */
    private void diagonalSweep(int iteration) {
        Parallel.forRange(m / ba, ops.threads(), 1, (j0, j1) -> {
            TileScratch t = new TileScratch(ba, bb);
            for (int j = j0; j < j1; j++) {
                for (int kb = 0; kb < k / bb; kb++) {
                    int k0 = kb * bb;
                    if (!resolveGroup(j, kb, sampleGroup(j, kb, iteration, t), dg, j * ba * k + k0, k, t)) {
                        continue;
                    }
                    for (int c2 = 0; c2 < bb; c2++) {
                        t.du[c2] *= h[k0 + c2];
                    }
                    for (int i = 0; i < ba; i++) {
                        ops.kernels().axpy(bb, t.acol[i], t.du, 0, dg, (j * ba + i) * k + k0);
                    }
                }
            }
        });
    }

    /**
     * Gram metric: a group's change du (on columns C_k) moves row block j's ΔG' by a ⊗ (du G'[C_k, :]) in every
     * column, and the next tiles of that row block must see it. Updating whole rows per tile streams G' and ΔG'
     * through memory once per tile; instead the sweep goes column block by column block over all row blocks at once:
     * V_j[k] = du_jk G'[C_k, :] is one small GEMM per column block that reads those G' rows once, each tile reads its
     * ΔG' columns corrected by U_j[:, <k] V_j[<k, C_k] (U_j holds the A columns used), and ΔG' gets U_j V_j at the end.
     */
    private void gramSweep(int iteration) {
        int nA = m / ba;
        int nB = k / bb;
        double[] u = new double[nA * ba * nB];   // U_j = u[j*ba*nB ..], ba x nB: column kb = the A column tile (j,kb) used
        double[] v = new double[nA * nB * k];    // V_j = v[j*nB*k ..], nB x k: row kb = du_jk G'[C_kb, :]
        double[] du = new double[nA * bb];       // this column block's du per row block (zero if unchanged)
        TileScratch[] scratch = new TileScratch[nA];
        for (int kb = 0; kb < nB; kb++) {
            int k0 = kb * bb;
            int step = kb;
            java.util.Arrays.fill(du, 0.0);
            Parallel.forRange(nA, ops.threads(), 1, (j0, j1) -> {
                for (int j = j0; j < j1; j++) {
                    TileScratch t = scratch[j] == null ? (scratch[j] = new TileScratch(ba, bb)) : scratch[j];
                    // the tile's current ΔG': the stored one plus the changes of this sweep's earlier tiles
                    for (int i = 0; i < ba; i++) {
                        System.arraycopy(dg, (j * ba + i) * k + k0, t.tile, i * bb, bb);
                    }
                    if (step > 0) {
                        ops.kernels().gemm(ba, bb, step, 1.0, u, j * ba * nB, nB, v, j * nB * k + k0, k, t.tile, 0, bb);
                    }
                    if (resolveGroup(j, step, sampleGroup(j, step, iteration, t), t.tile, 0, bb, t)) {
                        for (int i = 0; i < ba; i++) {
                            u[(j * ba + i) * nB + step] = t.acol[i];
                        }
                        System.arraycopy(t.du, 0, du, j * bb, bb);
                    }
                }
            });
            // V_j[kb, :] = du_j G'[C_kb, :] for every row block j: rows j*nB + kb of v (stride nB*k)
            ops.kernels().gemm(nA, k, bb, 1.0, du, 0, bb, gp, k0 * k, k, v, kb * k, nB * k);
        }
        Parallel.forRange(nA, ops.threads(), 1, (j0, j1) -> {
            for (int j = j0; j < j1; j++) {
                ops.kernels().gemm(ba, k, nB, 1.0, u, j * ba * nB, nB, v, j * nB * k, k, dg, j * ba * k, k);
            }
        });
    }

    private static final class TileScratch {
        final double[] scores;
        final double[] acol;
        final double[] bt4;
        final double[] btg;
        final double[] phi;
        final double[] du;
        final double[] tile;
        final double[] hh = new double[16];
        final double[] f = new double[4];
        final double[] sold = new double[4];
        final double[] vnew = new double[4];

        TileScratch(int ba, int bb) {
            scores = new double[ba * bb / 4];
            acol = new double[ba];
            bt4 = new double[4 * bb];
            btg = new double[4 * bb];
            phi = new double[bb];
            du = new double[bb];
            tile = new double[ba * bb];
        }
    }

    /** Index (row-in-tile * groupsPerRow + group) of the sampled group in tile (j, kb). */
    private int sampleGroup(int j, int kb, int iteration, TileScratch t) {
        int gpr = bb / 4;
        int n = ba * gpr;
        double total = 0;
        for (int i = 0; i < ba; i++) {
            int base = (j * ba + i) * k + kb * bb;
            for (int g = 0; g < gpr; g++) {
                int o = base + 4 * g;
                double v = Math.abs(gS[o]) + Math.abs(gS[o + 1]) + Math.abs(gS[o + 2]) + Math.abs(gS[o + 3]);
                t.scores[i * gpr + g] = v;
                total += v;
            }
        }
        SplittableRandom rnd = new SplittableRandom(mix(seed, iteration, j, kb));
        if (!(total > 0) || !Double.isFinite(total)) {
            return rnd.nextInt(n);
        }
        double x = rnd.nextDouble() * total;
        double acc = 0;
        for (int g = 0; g < n; g++) {
            acc += t.scores[g];
            if (x < acc) {
                return g;
            }
        }
        return n - 1;
    }

    private static long mix(long seed, int iteration, int j, int kb) {
        long x = seed * 0x9E3779B97F4A7C15L + iteration;
        x = x * 0xBF58476D1CE4E5B9L + j;
        x = x * 0x94D049BB133111EBL + kb;
        return x ^ (x >>> 31);
    }

    /**
     * The exact re-solve of group {@code g} of tile (j, kb) (see {@link GroupSolver} for the quadratic), reading the
     * tile's current ΔG' from {@code dgTile} (ba x bb at {@code off}, leading dimension {@code ld}). Updates S, the
     * mask, P and Δ; leaves the change vector du = d · B rows (length bb) and the A column in {@code t}, and returns
     * whether anything changed: the caller updates ΔG', which depends on the metric.
     */
    boolean resolveGroup(int j, int kb, int g, double[] dgTile, int off, int ld, TileScratch t) {
        int gpr = bb / 4;
        int pl = g / gpr;
        int row = j * ba + pl;
        int k0 = kb * bb;
        int q0 = k0 + 4 * (g % gpr);
        int ql = q0 - k0;
        int aOff = j * ba * ba;
        double alpha = 0;
        for (int i = 0; i < ba; i++) {
            double ai = a[aOff + i * ba + pl];
            t.acol[i] = ai;
            alpha += rowW[j * ba + i] * ai * ai;
        }
        System.arraycopy(b, kb * bb * bb + ql * bb, t.bt4, 0, 4 * bb);
        // btg = Bt4 · G'_kk (4 x bb)
        if (gp == null) {
            for (int u = 0; u < 4; u++) {
                for (int c2 = 0; c2 < bb; c2++) {
                    t.btg[u * bb + c2] = t.bt4[u * bb + c2] * h[k0 + c2];
                }
            }
        } else {
            Arrays.fill(t.btg, 0.0);
            for (int c2 = 0; c2 < bb; c2++) {
                for (int u = 0; u < 4; u++) {
                    ops.kernels().axpy(bb, t.bt4[u * bb + c2], gp, (k0 + c2) * k + k0, t.btg, u * bb);
                }
            }
        }
        for (int u = 0; u < 4; u++) {
            t.sold[u] = s[row * k + q0 + u];
            for (int v = u; v < 4; v++) {
                double hv = ops.kernels().dot(bb, t.btg, u * bb, t.bt4, v * bb);
                t.hh[u * 4 + v] = hv;
                t.hh[v * 4 + u] = hv;
            }
        }
        // phi = Σ_i w_i a_i (ΔG')[i, C_k] − α (s_old · btg): the linear term without the group's own contribution
        Arrays.fill(t.phi, 0.0);
        for (int i = 0; i < ba; i++) {
            ops.kernels().axpy(bb, rowW[j * ba + i] * t.acol[i], dgTile, off + i * ld, t.phi, 0);
        }
        for (int u = 0; u < 4; u++) {
            ops.kernels().axpy(bb, -alpha * t.sold[u], t.btg, u * bb, t.phi, 0);
        }
        for (int u = 0; u < 4; u++) {
            t.f[u] = ops.kernels().dot(bb, t.bt4, u * bb, t.phi, 0);
        }
        int support = GroupSolver.solve(t.hh, t.f, alpha, t.vnew);
        if (support < 0) {
            return false;
        }
        boolean changed = false;
        for (int u = 0; u < 4; u++) {
            t.vnew[u] -= t.sold[u]; // now the change d
            changed |= t.vnew[u] != 0;
        }
        int i0 = GroupSolver.SUPPORTS[support][0];
        int i1 = GroupSolver.SUPPORTS[support][1];
        for (int u = 0; u < 4; u++) {
            s[row * k + q0 + u] = t.sold[u] + t.vnew[u];
            mask[row * k + q0 + u] = u == i0 || u == i1;
        }
        if (!changed) {
            return false;
        }
        Arrays.fill(t.du, 0.0);
        for (int u = 0; u < 4; u++) {
            ops.kernels().axpy(bb, t.vnew[u], t.bt4, u * bb, t.du, 0);
        }
        ops.kernels().axpy(bb, 1.0, t.du, 0, p, row * k + k0);
        for (int i = 0; i < ba; i++) {
            ops.kernels().axpy(bb, t.acol[i], t.du, 0, delta, (j * ba + i) * k + k0);
        }
        return true;
    }

    /** A copy of the optimised parameters. */
    Snapshot snapshot() {
        return new Snapshot(a.clone(), b.clone(), s.clone(), mask.clone());
    }

    void restore(Snapshot sn) {
        System.arraycopy(sn.a, 0, a, 0, a.length);
        System.arraycopy(sn.b, 0, b, 0, b.length);
        System.arraycopy(sn.s, 0, s, 0, s.length);
        System.arraycopy(sn.mask, 0, mask, 0, mask.length);
        forward();
    }

    record Snapshot(double[] a, double[] b, double[] s, boolean[] mask) {
    }

    /** A with D_r folded into its rows (float32). */
    float[] exportA() {
        float[] out = new float[a.length];
        for (int j = 0; j < m / ba; j++) {
            for (int i = 0; i < ba; i++) {
                for (int t = 0; t < ba; t++) {
                    int o = j * ba * ba + i * ba + t;
                    out[o] = (float) (r[j * ba + i] * a[o]);
                }
            }
        }
        return out;
    }

    /** B with D_c folded into its columns (float32). */
    float[] exportB() {
        float[] out = new float[b.length];
        for (int kb = 0; kb < k / bb; kb++) {
            for (int t = 0; t < bb; t++) {
                for (int u = 0; u < bb; u++) {
                    int o = kb * bb * bb + t * bb + u;
                    out[o] = (float) (b[o] * c[kb * bb + u]);
                }
            }
        }
        return out;
    }

    float[] exportCore() {
        float[] out = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = mask[i] ? (float) s[i] : 0f;
        }
        return out;
    }
}
