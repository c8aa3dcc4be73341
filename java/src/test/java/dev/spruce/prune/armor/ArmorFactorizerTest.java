package dev.spruce.prune.armor;

import dev.spruce.calib.LayerStats;
import dev.spruce.prune.Fixtures;
import dev.spruce.prune.NoWagPruner;
import dev.spruce.prune.Pattern;
import dev.spruce.prune.PruneResult;
import dev.spruce.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArmorFactorizerTest {

    private static final int TOKENS = 96;

    private static LayerStats stats(int k, long seed) {
        return Fixtures.full(Fixtures.correlated(TOKENS, k, seed), TOKENS, k);
    }

    private static ArmorRun run(float[] w, int m, int k, int bs, LayerStats st, ArmorLoss loss) {
        double[] wd = ArmorFactors.toDouble(w);
        return new ArmorRun(wd, m, k, new BlockSizePolicy.Sizes(bs, bs), dev.spruce.prune.InputNorms.sanitize(st.diagonal()),
                loss == ArmorLoss.GRAM ? st.gram() : null, 2, 7);
    }

    /** A run moved away from its start: random wrappers near I and a random 2:4 core. */
    private static ArmorRun perturbed(int m, int k, int bs, ArmorLoss loss, long seed) {
        LayerStats st = stats(k, seed);
        ArmorRun r = run(Fixtures.weights(m, k, seed + 1), m, k, bs, st, loss);
        Random rnd = new Random(seed + 2);
        for (int i = 0; i < r.a.length; i++) {
            r.a[i] += 0.2 * rnd.nextGaussian();
        }
        for (int i = 0; i < r.b.length; i++) {
            r.b[i] += 0.2 * rnd.nextGaussian();
        }
        double[] v = new double[m * k];
        boolean[] keep = new boolean[m * k];
        for (int g = 0; g < m * k; g += 4) {
            int[] sup = GroupSolver.SUPPORTS[rnd.nextInt(6)];
            keep[g + sup[0]] = true;
            keep[g + sup[1]] = true;
            v[g + sup[0]] = r.wbar[g + sup[0]] + 0.1 * rnd.nextGaussian();
            v[g + sup[1]] = r.wbar[g + sup[1]] + 0.1 * rnd.nextGaussian();
        }
        r.setCore(v, keep);
        return r;
    }

    @ParameterizedTest
    @EnumSource(ArmorLoss.class)
    void closedFormGradientsMatchFiniteDifferences(ArmorLoss loss) {
        int m = 8;
        int k = 16;
        ArmorRun r = perturbed(m, k, 4, loss, 11);
        r.gradients();
        double[] gA = r.gA.clone();
        double[] gB = r.gB.clone();
        double[] gS = r.gS.clone();
        double eps = 1e-6;
        for (int i = 0; i < r.a.length; i += 3) {
            assertEquals(gA[i], central(r, r.a, i, eps), 1e-6 * Math.max(1, Math.abs(gA[i])), "dL/dA at " + i);
        }
        for (int i = 0; i < r.b.length; i += 5) {
            assertEquals(gB[i], central(r, r.b, i, eps), 1e-6 * Math.max(1, Math.abs(gB[i])), "dL/dB at " + i);
        }
        for (int i = 0; i < r.s.length; i += 7) {
            assertEquals(gS[i], central(r, r.s, i, eps), 1e-6 * Math.max(1, Math.abs(gS[i])), "dL/dS at " + i);
        }
    }

    /** (L(x+eps) - L(x-eps)) / 2eps for one parameter, the core perturbed as a dense matrix (mask ignored). */
    private static double central(ArmorRun r, double[] param, int i, double eps) {
        boolean[] keep = r.mask.clone();
        java.util.Arrays.fill(r.mask, true);
        double x = param[i];
        param[i] = x + eps;
        r.forward();
        double up = r.loss();
        param[i] = x - eps;
        r.forward();
        double down = r.loss();
        param[i] = x;
        System.arraycopy(keep, 0, r.mask, 0, keep.length);
        r.forward();
        return (up - down) / (2 * eps);
    }

    @ParameterizedTest
    @EnumSource(ArmorLoss.class)
    void discreteStepsNeverRaiseTheLossAndKeepTheResidualExact(ArmorLoss loss) {
        for (long seed = 1; seed <= 4; seed++) {
            ArmorRun r = perturbed(16, 32, 8, loss, seed * 31);
            for (int it = 1; it <= 5; it++) {
                r.gradients();
                double before = r.loss();
                r.discreteStep(it);
                double after = r.loss();
                assertTrue(after <= before * (1 + 1e-12) + 1e-15, "seed " + seed + " it " + it + ": " + before + " -> " + after);
                double[] delta = r.delta.clone();
                double[] dg = r.dg.clone();
                double[] gA = r.gA.clone();
                r.gradients(); // uses the maintained P = S B
                double[] gAFromMaintained = r.gA.clone();
                System.arraycopy(gA, 0, r.gA, 0, gA.length);
                r.forward();
                r.gradients();
                assertArrayEquals(r.gA, gAFromMaintained, 1e-9, "maintained P = S B drifted");
                assertArrayEquals(r.delta, delta, 1e-10, "maintained residual drifted");
                assertArrayEquals(r.dg, dg, 1e-9, "maintained metric product drifted");
                assertEquals(r.loss(), after, 1e-12 * Math.max(1, after));
                for (int g = 0; g < r.mask.length; g += 4) {
                    int kept = 0;
                    for (int u = 0; u < 4; u++) {
                        kept += r.mask[g + u] ? 1 : 0;
                        if (!r.mask[g + u]) {
                            assertEquals(0.0, r.s[g + u], "pruned core entry must be zero");
                        }
                    }
                    assertEquals(2, kept, "group " + g + " is not 2:4");
                }
            }
        }
    }

    @Test
    void faithfulStartIsExactlyNoWagP() {
        int m = 24;
        int k = 32;
        float[] w = Fixtures.weights(m, k, 5);
        LayerStats st = stats(k, 6);
        ArmorFactors f = new ArmorFactorizer(ArmorConfig.faithful().withBlockSize(8).withIterations(0)).factorize(Matrix.of(w, m, k), st);
        try (PruneResult nowag = new NoWagPruner().prune(Matrix.of(w, m, k), st, Pattern.nm(2, 4))) {
            double expected = NoWagPruner.relativeLoss(w, m, k, st.diagonal(), nowag.mask());
            assertEquals(expected, f.startLoss(), 1e-12);
            assertEquals(expected, f.diagonalLoss(), 1e-6);
            // No iterations: Ŵ = W ⊙ M exactly (up to float32 rounding of the folded factors).
            float[] dense = f.toDense().toFloatArray();
            float[] nw = nowag.weights().toFloatArray();
            for (int i = 0; i < dense.length; i++) {
                assertEquals(nw[i], dense[i], 1e-5 * Math.max(1, Math.abs(nw[i])), "entry " + i);
            }
        }
    }

    @Test
    void lossNeverEndsAboveItsStart() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 6; trial++) {
            int m = 8 * (1 + rnd.nextInt(4));
            int k = 16 * (1 + rnd.nextInt(3));
            ArmorConfig cfg = ArmorConfig.defaults().withBlockSize(8).withIterations(25)
                    .withLoss(ArmorLoss.values()[trial % 2]).withStart(ArmorStart.values()[(trial / 2) % 2])
                    .withLearningRate(trial == 5 ? 0.5 : 1e-3); // one absurd step size: every Adam step overshoots
            ArmorFactors f = new ArmorFactorizer(cfg).factorize(Matrix.of(Fixtures.weights(m, k, trial), m, k),
                    stats(k, trial + 100));
            assertTrue(f.finalLoss() <= f.startLoss(), cfg.describe() + ": " + f);
            for (double v : f.history()) {
                assertTrue(Double.isFinite(v));
            }
            if (cfg.loss() == ArmorLoss.GRAM) {
                assertEquals(f.finalLoss(), f.relativeLoss().orElseThrow(), 1e-4 * Math.max(1e-3, f.finalLoss()),
                        "Gram objective must be the true relative output error");
            }
        }
    }

    /** Real MiniLM layers with real calibration statistics (a few sentences): every variant ends at or below its start. */
    @Test
    void lossNeverEndsAboveItsStartOnRealLayers() throws Exception {
        dev.spruce.model.SentenceEncoder enc = dev.spruce.model.Shared.encoder();
        java.util.Map<String, LayerStats> stats = dev.spruce.model.Calibrator.collect(enc,
                dev.spruce.model.Corpus.calibration().subList(0, 12), true, 12, n -> { });
        int trial = 0;
        for (dev.spruce.model.Linear l : enc.model().linears()) {
            if (!l.name().startsWith("encoder.layer.1.")) {
                continue;
            }
            ArmorConfig cfg = ArmorConfig.defaults().withIterations(15).withLoss(ArmorLoss.values()[trial % 2])
                    .withStart(ArmorStart.values()[(trial / 2) % 2]).withLearningRate(trial == 3 ? 0.05 : 2e-4);
            ArmorFactors f = new ArmorFactorizer(cfg).factorize(((dev.spruce.model.DenseLinear) l).weight(),
                    stats.get(l.name()));
            assertTrue(f.finalLoss() <= f.startLoss(), l.name() + " " + cfg.describe() + ": " + f);
            assertTrue(f.relativeLoss().orElseThrow() < 1, l.name() + ": " + f);
            trial++;
        }
        assertEquals(6, trial);
    }

    @ParameterizedTest
    @EnumSource(ArmorLoss.class)
    void descentImprovesOnTheStart(ArmorLoss loss) {
        int m = 32;
        int k = 64;
        ArmorConfig cfg = ArmorConfig.defaults().withBlockSize(16).withIterations(60).withLoss(loss)
                .withStart(ArmorStart.NOWAG).withLearningRate(2e-3);
        ArmorFactors f = new ArmorFactorizer(cfg).factorize(Matrix.of(Fixtures.weights(m, k, 9), m, k), stats(k, 10));
        assertTrue(f.finalLoss() < 0.9 * f.startLoss(), f.toString());
    }

    @ParameterizedTest
    @EnumSource(ArmorLoss.class)
    void aLayerThatIsAlreadyArmorIsRecovered(ArmorLoss loss) {
        int m = 16;
        int k = 32;
        int bs = 8;
        Random rnd = new Random(21);
        double[] a = BlockOps.identityBlocks(m, bs);
        double[] b = BlockOps.identityBlocks(k, bs);
        for (int i = 0; i < a.length; i++) {
            a[i] += 0.05 * rnd.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] += 0.05 * rnd.nextGaussian();
        }
        double[] s = new double[m * k];
        for (int g = 0; g < m * k; g += 4) {
            int[] sup = GroupSolver.SUPPORTS[rnd.nextInt(6)];
            s[g + sup[0]] = (1 + rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1);
            s[g + sup[1]] = (1 + rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1);
        }
        BlockOps ops = new BlockOps(dev.spruce.kernel.linalg.LinAlg.kernels(), 1);
        double[] sb = new double[m * k];
        ops.right(s, m, k, b, bs, false, sb);
        double[] w = new double[m * k];
        ops.left(a, bs, false, sb, m, k, w);
        ArmorConfig cfg = ArmorConfig.defaults().withBlockSize(bs).withIterations(1500).withLoss(loss)
                .withStart(ArmorStart.NOWAG).withLearningRate(3e-3).withPatience(1500);
        ArmorFactors f = new ArmorFactorizer(cfg).factorize(Matrix.of(ArmorFactors.toFloat(w), m, k), stats(k, 22));
        // Relative loss: 1 is as bad as deleting the layer; the start is the NoWag-P mask with identity wrappers.
        assertTrue(f.finalLoss() < 5e-5 && f.finalLoss() < 1e-2 * f.startLoss(), f.toString());
    }

    @Test
    void deterministicForASeedAtAnyThreadCount() {
        int m = 32;
        int k = 64;
        Matrix w = Matrix.of(Fixtures.weights(m, k, 4), m, k);
        LayerStats st = stats(k, 5);
        ArmorConfig cfg = ArmorConfig.defaults().withBlockSize(16).withIterations(20);
        ArmorFactors one = new ArmorFactorizer(cfg.withThreads(1)).factorize(w, st);
        ArmorFactors two = new ArmorFactorizer(cfg.withThreads(2)).factorize(w, st);
        assertArrayEquals(one.core(), two.core());
        assertArrayEquals(one.aBlocks(), two.aBlocks());
        assertArrayEquals(one.bBlocks(), two.bBlocks());
        ArmorFactors other = new ArmorFactorizer(cfg.withSeed(99)).factorize(w, st);
        assertTrue(!java.util.Arrays.equals(one.core(), other.core()), "a different seed samples different groups");
    }

    @Test
    void badInputIsNamed() {
        LayerStats st = stats(16, 1);
        float[] w = Fixtures.weights(8, 16, 1);
        w[19] = Float.NaN;
        ArmorFactorizer f = new ArmorFactorizer(ArmorConfig.defaults().withIterations(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.factorize(Matrix.of(w, 8, 16), st));
        assertTrue(e.getMessage().contains("(1, 3)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> f.factorize(Matrix.of(new float[8 * 18], 8, 18), stats(18, 1)));
        assertTrue(e.getMessage().contains("multiple of 4"), e.getMessage());
        LayerStats diag = LayerStats.ofDiagonal("d", new double[16], 10);
        e = assertThrows(IllegalArgumentException.class,
                () -> f.factorize(Matrix.of(Fixtures.weights(8, 16, 2), 8, 16), diag));
        assertTrue(e.getMessage().contains("Gram"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> f.factorize(Matrix.of(Fixtures.weights(8, 16, 2), 8, 16), stats(32, 1)));
        assertTrue(e.getMessage().contains("input features"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ArmorConfig.defaults().withBlockSize(12));
    }

    @Test
    void blockSizeFollowsTheCostBudget() {
        ArmorConfig d = ArmorConfig.defaults();
        assertEquals(new BlockSizePolicy.Sizes(16, 16), BlockSizePolicy.choose(384, 384, d));
        assertEquals(new BlockSizePolicy.Sizes(32, 32), BlockSizePolicy.choose(1536, 384, d));
        assertEquals(new BlockSizePolicy.Sizes(32, 32), BlockSizePolicy.choose(384, 1536, d));
        assertEquals(new BlockSizePolicy.Sizes(128, 128), BlockSizePolicy.choose(4096, 4096, d));
        assertEquals(new BlockSizePolicy.Sizes(128, 128), BlockSizePolicy.choose(11008, 4096, d));
        assertTrue(BlockSizePolicy.choose(384, 1536, d).overhead(384, 1536) <= 0.25);
        // 1000 rows: the budget gives 64; A shrinks to the largest power of two dividing 1000, B keeps 64.
        assertEquals(new BlockSizePolicy.Sizes(8, 64), BlockSizePolicy.choose(1000, 4096, d));
        assertEquals(new BlockSizePolicy.Sizes(32, 32), BlockSizePolicy.choose(384, 384, d.withBlockSize(32)));
        assertEquals(16, BlockSizePolicy.choose(384, 384, d.withCostBudget(0.5)).a() / 2);
    }
}
