package dev.spruce.cli.pipeline;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanAndFidelityTest {
    private static final String Q = "encoder.layer.0.attention.self.query";
    private static final String AO = "encoder.layer.0.attention.output.dense";
    private static final String FI = "encoder.layer.3.intermediate.dense";
    private static final String FO = "encoder.layer.5.output.dense";

    @Test
    void methodsParseByNameAndRejectUnknownOnes() {
        assertEquals(Method.NOWAG, Method.parse("NoWag-P"));
        assertEquals(Method.SPARSEGPT, Method.parse(" sparsegpt "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Method.parse("obs"));
        assertTrue(e.getMessage().contains("unknown method 'obs'") && e.getMessage().contains("wanda"), e.getMessage());
    }

    @Test
    void sparsityParsesDenseAndTheFourPatterns() {
        assertTrue(Sparsity.parse("dense").dense());
        assertTrue(Sparsity.parse("2:4").packs24());
        for (String p : List.of("1:4", "2:8", "4:8")) {
            Sparsity s = Sparsity.parse(p);
            assertEquals(p, s.toString());
            assertTrue(!s.packs24() && !s.dense());
        }
        assertThrows(IllegalArgumentException.class, () -> Sparsity.parse("3:5"));
        assertThrows(IllegalArgumentException.class, () -> Sparsity.parse("50%"));
    }

    @Test
    void planAppliesTypeOverridesAndSkipPatterns() {
        PrunePlan p = new PrunePlan(Method.WANDA, Sparsity.parse("2:4"),
                Map.of(LayerType.FFN, Sparsity.parse("2:8")), List.of("layer.5.", "*.query"));
        assertTrue(p.sparsityFor(Q).dense(), "glob *.query");
        assertEquals("2:4", p.sparsityFor(AO).toString());
        assertEquals("2:8", p.sparsityFor(FI).toString());
        assertTrue(p.sparsityFor(FO).dense(), "substring layer.5.");
        PrunePlan a = PrunePlan.uniform(Method.MAGNITUDE, Sparsity.parse("2:4")).attentionDense();
        assertTrue(a.sparsityFor(Q).dense() && a.sparsityFor(AO).dense());
        assertEquals("2:4", a.sparsityFor(FO).toString());
        assertEquals("magnitude 2:4, attention dense", a.label());
        assertThrows(IllegalArgumentException.class, () -> new PrunePlan(Method.WANDA, Sparsity.DENSE, null, List.of(" ")));
    }

    @Test
    void identicalEmbeddingsArePerfect() {
        float[][] e = {{1, 0}, {0.6f, 0.8f}, {0, 1}, {-1, 0}};
        Fidelity f = Fidelity.compare(e, e);
        assertEquals(1.0, f.meanCosine(), 1e-12);
        assertEquals(1.0, f.worstCosine(), 1e-12);
        assertEquals(1.0, f.spearman(), 1e-12);
        assertEquals(1.0, f.topKOverlap(), 1e-12);
        assertEquals(3, f.k());
    }

    @Test
    void fidelityMeasuresCosineRanksAndNeighbours() {
        float[][] d = {{1, 0}, {0.8f, 0.6f}, {0, 1}};
        float[][] p = {{0, 1}, {0.8f, 0.6f}, {1, 0}};   // first and last swapped
        Fidelity f = Fidelity.compare(d, p);
        assertEquals((0 + 1 + 0) / 3.0, f.meanCosine(), 1e-6);
        assertEquals(0.0, f.worstCosine(), 1e-6);
        // pairs (0,1), (0,2), (1,2): dense sims .8, 0, .6 -> ranks 3,1,2; pruned .6, 0, .8 -> ranks 2,1,3
        assertEquals(0.5, f.spearman(), 1e-9);
        assertEquals(0.5, Fidelity.spearman(new double[] {1, 2, 3}, new double[] {2, 1, 3}), 1e-9);
        assertEquals(-1.0, Fidelity.spearman(new double[] {1, 2, 3, 4}, new double[] {4, 3, 2, 1}), 1e-9);
        double[] r = Fidelity.ranks(new double[] {5, 1, 5, 3});
        assertEquals(List.of(3.5, 1.0, 3.5, 2.0), List.of(r[0], r[1], r[2], r[3]));
        assertThrows(IllegalArgumentException.class, () -> Fidelity.compare(d, new float[2][2]));
    }

    @Test
    void shapesThatDoNotFitThePatternAreNamedBeforeAnyWork() {
        try (var m = TinyBert.create(6, 2, 12, 1, 1)) {   // K = 6 is no multiple of 4
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ModelPruner.checkPlan(m, PrunePlan.uniform(Method.MAGNITUDE, Sparsity.parse("2:4"))));
            assertTrue(e.getMessage().startsWith("layer encoder.layer.0.attention.self.query cannot take 2:4"), e.getMessage());
            // keeping the offending layers dense makes the same model acceptable
            ModelPruner.checkPlan(m, new PrunePlan(Method.MAGNITUDE, Sparsity.parse("2:4"), Map.of(), List.of("attention", "intermediate")));
        }
    }
}
