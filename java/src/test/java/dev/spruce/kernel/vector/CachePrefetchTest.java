package dev.spruce.kernel.vector;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class CachePrefetchTest {
    @Test
    void theGeneratedPrefetchIsInstalledOnX86LinuxWithNativeAccess() {
        String arch = System.getProperty("os.arch");
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                && (arch.equals("amd64") || arch.equals("x86_64")), "the prefetch stub is x86-64 Linux code");
        Assumptions.assumeTrue(CachePrefetch.class.getModule().isNativeAccessEnabled(), "no native access");
        Assumptions.assumeFalse("false".equals(System.getProperty("spruce.prefetch")), "turned off by property");
        // Without this, the row kernel silently loses its prefetch and a fifth of its speed at 32 tokens.
        assertNull(CachePrefetch.unavailable());
    }

    @Test
    void rangesAreClippedToTheirSegment() {
        MemorySegment s = MemorySegment.ofArray(new byte[1000]);
        assertEquals(16, CachePrefetch.clip(s, 0, 16));
        assertEquals(16, CachePrefetch.clip(s, 0, Long.MAX_VALUE), "1000 bytes: 15 whole lines and a part");
        assertEquals(1, CachePrefetch.clip(s, 999, 5), "the last byte still gets its line");
        assertEquals(0, CachePrefetch.clip(s, 1000, 5), "offset at the end");
        assertEquals(0, CachePrefetch.clip(s, -64, 5), "negative offset");
        assertEquals(0, CachePrefetch.clip(s, 0, 0));
        assertEquals(0, CachePrefetch.clip(s, 0, -3));
        assertEquals(2, CachePrefetch.clip(s, 900, 7), "100 bytes left: two lines");
    }

    @Test
    void prefetchingChangesNoMemoryWhateverTheRange() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] values = new float[10_000];
        byte[] bytes = new byte[3_333];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian();
        }
        rnd.nextBytes(bytes);
        float[] valuesBefore = values.clone();
        byte[] bytesBefore = bytes.clone();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nat = arena.allocate(5000, 64);
            for (long i = 0; i < 5000; i++) {
                nat.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7));
            }
            MemorySegment fv = MemorySegment.ofArray(values), fb = MemorySegment.ofArray(bytes);
            long[][] ranges = {{0, 1}, {0, 1000}, {4000, 20}, {39_999, 3}, {40_000, 1}, {-1, 1}, {100, 0},
                    {0, Long.MAX_VALUE}, {Long.MAX_VALUE, Long.MAX_VALUE}};
            for (long[] r : ranges) {
                CachePrefetch.lines(fv, r[0], r[1], fb, r[0] / 8, r[1]);
                CachePrefetch.lines(nat, r[0] / 4, r[1], nat.asSlice(64), r[0] / 16, r[1]);
            }
            assertArrayEquals(valuesBefore, values);
            assertArrayEquals(bytesBefore, bytes);
            for (long i = 0; i < 5000; i++) {
                assertEquals((byte) (i * 7), nat.get(ValueLayout.JAVA_BYTE, i), "native byte " + i);
            }
        }
    }
}
