package dev.spruce.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchTableTest {
    static String result(String bench, String shape, int batch, int threads, String dtype, double score, String unit) {
        String dt = dtype == null ? "" : ", \"dtype\" : \"" + dtype + "\"";
        return "{ \"benchmark\" : \"dev.spruce.jmh." + bench + "\", \"mode\" : \"avgt\", \"params\" : { \"shape\" : \""
                + shape + "\", \"batch\" : \"" + batch + "\", \"threads\" : \"" + threads + "\"" + dt + " },"
                + " \"primaryMetric\" : { \"score\" : " + score + ", \"scoreError\" : NaN, \"scoreUnit\" : \"" + unit
                + "\", \"rawData\" : [ [ 1.0, 2.0 ] ] }, \"secondaryMetrics\" : { } }";
    }

    static final String JSON = "[" + String.join(",",
            result("DenseBench.vector", "4096x4096", 256, 1, "F32", 100_000, "us/op"),
            result("OpenBlasBench.sgemm", "4096x4096", 256, 1, null, 80, "ms/op"),
            result("Sparse24Bench.vector", "4096x4096", 256, 1, "F32", 50_000, "us/op"),
            result("DenseBench.vector", "4096x4096", 1, 1, "BF16", 1_000, "us/op")) + "]";

    @Test
    void ratiosLineUpByShapeBatchThreadsAndDtype() {
        List<BenchTable.Row> rows = BenchTable.rows(JSON);
        assertEquals(4, rows.size());
        BenchTable.Row dense = rows.get(0);
        assertEquals("dense.vector", dense.kernel());
        assertEquals(2.0 * 4096 * 4096 * 256 / 1e8, dense.gflops(), 1e-9);
        assertEquals(80_000, rows.get(1).micros(), 1e-9, "ms/op converted to us");
        String table = BenchTable.format(rows);
        // A benchmark this class has never heard of shows up, with both ratios.
        String sparse = table.lines().filter(l -> l.startsWith("sparse24.vector")).findFirst().orElseThrow();
        assertTrue(sparse.contains("1.60x") && sparse.contains("2.00x"), sparse);
        String denseLine = table.lines().filter(l -> l.startsWith("dense.vector") && l.contains(" 256 ")).findFirst().orElseThrow();
        assertTrue(denseLine.contains("0.80x"), denseLine);
        // Batch-1 bf16 row has no OpenBLAS row to compare with: shown as "-", not a made-up number.
        String gemv = table.lines().filter(l -> l.contains("BF16")).findFirst().orElseThrow();
        assertTrue(gemv.trim().endsWith("-"), gemv);
    }

    @Test
    void rowsRunOverSeveralWeightCopiesAreComparedOnlyWithEachOther() {
        String one = result("DenseBench.vector", "4096x4096", 1, 1, "F32", 10_000, "us/op");
        String sixDense = one.replace("\"threads\" : \"1\"", "\"threads\" : \"1\", \"copies\" : \"6\"")
                .replace("10000.0", "12000.0");
        String sixSparse = result("Sparse24Bench.vector", "4096x4096", 1, 1, "F32", 8_000, "us/op")
                .replace("\"threads\" : \"1\"", "\"threads\" : \"1\", \"copies\" : \"6\"");
        List<BenchTable.Row> rows = BenchTable.rows("[" + String.join(",", one, sixDense, sixSparse) + "]");
        assertEquals("4096x4096", rows.get(0).shape());
        assertEquals("4096x4096@6", rows.get(1).shape());
        assertEquals(4096, rows.get(1).m());
        String sparse = BenchTable.format(rows).lines().filter(l -> l.startsWith("sparse24.vector")).findFirst()
                .orElseThrow();
        // against the 6-copy dense row (12 ms), not the 1-copy one (10 ms)
        assertTrue(sparse.contains("4096x4096@6") && sparse.trim().endsWith("1.50x"), sparse);
    }

    @Test
    void bytesCountTheKernelsStorage() {
        BenchTable.Row dense = new BenchTable.Row("dense.vector", "4x8", 4, 8, 1, 1, "BF16", 1, 0);
        assertEquals(2.0 * 32 + 4 * 8 + 4 * 4, dense.bytes(), 1e-9);
        BenchTable.Row sp = new BenchTable.Row("sparse24.vector", "4x8", 4, 8, 1, 1, "BF16", 1, 0);
        assertEquals(1.125 * 32 + 4 * 8 + 4 * 4, sp.bytes(), 1e-9);
    }

    @Test
    void kernelNamesAndBadInput() {
        assertEquals("openblas.sgemm", BenchTable.kernelName("dev.spruce.jmh.OpenBlasBench.sgemm"));
        assertThrows(IllegalArgumentException.class, () -> BenchTable.rows("[{\"benchmark\": \"x.AB.c\", "
                + "\"params\": {\"shape\": \"2x2\"}, \"primaryMetric\": {\"score\": 1, \"scoreUnit\": \"ops/s\"}}]"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1, 2"));
    }

    @Test
    void blockSparseAndArmorRowsGetTheirVariantAndTheirClasssBaselines() {
        String block = result("BlockSparseBench.block", "64x64", 32, 1, "F32", 10, "us/op")
                .replace("\"threads\" : \"1\"", "\"threads\" : \"1\", \"sparsity\" : \"0.9\", \"block\" : \"32\"");
        String armor = result("ArmorBench.armor", "x", 1, 1, "F32", 30, "us/op")
                .replace("\"shape\" : \"x\"", "\"layer\" : \"64x64/16\"");
        String armorDense = result("ArmorBench.dense", "x", 1, 1, "F32", 60, "us/op")
                .replace("\"shape\" : \"x\"", "\"layer\" : \"64x64/16\"");
        List<BenchTable.Row> rows = BenchTable.rows("[" + String.join(",", block,
                result("BlockSparseBench.dense", "64x64", 32, 1, "F32", 50, "us/op"),
                result("BlockSparseBench.openblas", "64x64", 32, 1, null, 40, "us/op"), armor, armorDense) + "]");
        assertEquals("blocksparse.block 90% b32", rows.get(0).kernel());
        assertEquals(0.1 * 4 * 64 * 64 + 4 * 32 * 64 * 2, rows.get(0).bytes(), 1e-9, "only kept blocks count");
        assertEquals("armor.armor bs16", rows.get(3).kernel());
        assertEquals("64x64", rows.get(3).shape());
        String table = BenchTable.format(rows);
        String b = table.lines().filter(l -> l.startsWith("blocksparse.block")).findFirst().orElseThrow();
        assertTrue(b.contains("4.00x") && b.contains("5.00x"), b);
        String a = table.lines().filter(l -> l.startsWith("armor.armor")).findFirst().orElseThrow();
        assertTrue(a.trim().endsWith("2.00x"), a);
    }
}
