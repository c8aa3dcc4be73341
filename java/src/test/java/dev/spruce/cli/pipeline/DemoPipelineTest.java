package dev.spruce.cli.pipeline;

import dev.spruce.model.Corpus;
import org.junit.jupiter.api.Test;

import java.io.PrintStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo pipeline end to end on the real model with a handful of sentences and no timing (fast). */
class DemoPipelineTest {

    @Test
    void prunesEvaluatesAndReports() throws Exception {
        Demo.Settings s = new Demo.Settings(Corpus.calibration().subList(0, 8), Corpus.evaluation().subList(0, 12), 8,
                List.of(1, 32), 0, 0);
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
        Demo.Result r = Demo.run(ModelSource.embedded(), List.of(PrunePlan.uniform(Method.WANDA, Sparsity.parse("2:4"))), s, Progress.none(), quiet);
        assertEquals(2, r.rows().size(), "the method plus its attention-dense variant");
        for (Demo.Row row : r.rows()) {
            Fidelity f = row.fidelity();
            assertTrue(f.meanCosine() > 0.3 && f.meanCosine() < 1, "pruning changes the embeddings but keeps their sense: " + f);
            assertTrue(f.worstCosine() <= f.meanCosine());
            assertTrue(f.spearman() > 0 && f.spearman() <= 1, f.toString());
            assertTrue(row.meanLoss() > 0 && row.meanLoss() < 1, "relative layer loss " + row.meanLoss());
        }
        assertEquals(36, r.rows().get(0).layersPruned());
        assertEquals("36 sparse24", r.rows().get(0).layout());
        Demo.Row attn = r.rows().get(1);
        assertEquals(12, attn.layersPruned());
        assertEquals("24 dense + 12 sparse24", attn.layout());
        // keeping attention dense must not lose fidelity against the same method on every layer
        Demo.Row same = r.rows().stream().filter(x -> x.plan().method() == attn.plan().method()).findFirst().orElseThrow();
        assertTrue(attn.fidelity().meanCosine() >= same.fidelity().meanCosine(), attn + " vs " + same);

        String table = DemoTable.text(r);
        assertTrue(table.contains("wanda") && table.contains("attention dense"), table);
        String html = HtmlReport.html(r);
        assertTrue(html.contains("<svg") && html.contains("Fidelity by method"));
        String stripped = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assertFalse(stripped.contains("<script") || stripped.contains("http"), "self-contained: no scripts, nothing fetched");
        assertFalse(html.contains("NaN"), "no NaN in the report");
    }
}
