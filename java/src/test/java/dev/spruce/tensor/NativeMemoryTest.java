package dev.spruce.tensor;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeMemoryTest {
    /** Linux on x86-64 with native access granted to this module (the build's argLine): low mappings are tried. */
    private static boolean lowMappingPossible() {
        String arch = System.getProperty("os.arch");
        return System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")
                && (arch.equals("amd64") || arch.equals("x86_64"))
                && NativeMemory.class.getModule().isNativeAccessEnabled();
    }

    /** Zero-filled, exactly sized, aligned and usable end to end (freeing is checked where an arena closes). */
    private static void checkUsable(MemorySegment s, long bytes, long alignment) {
        assertEquals(bytes, s.byteSize());
        assertEquals(0, s.address() % alignment, "alignment");
        for (long at = 0; at < bytes; at += 4093) {
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, at), "zero at " + at);
        }
        s.set(ValueLayout.JAVA_FLOAT, 0, 1.5f);
        s.set(ValueLayout.JAVA_FLOAT, bytes - 4, -2.5f);
        assertEquals(1.5f, s.get(ValueLayout.JAVA_FLOAT, 0));
        assertEquals(-2.5f, s.get(ValueLayout.JAVA_FLOAT, bytes - 4));
        assertTrue(s.scope().isAlive());
    }

    @Test
    void largeAllocationsAreZeroedAlignedAndFreedWithTheirArena() {
        long bytes = NativeMemory.HUGE_MIN * 2 + 4 * 1000; // not a whole number of 2 MB pages
        Arena arena = Arena.ofShared();
        MemorySegment s = NativeMemory.allocate(arena, bytes, 64);
        checkUsable(s, bytes, 64);
        if (NativeMemory.hugePagesOn()) {
            assertEquals(0, s.address() % (2L << 20), "mapped on a 2 MB boundary: " + NativeMemory.hugePages());
        }
        arena.close();
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_FLOAT, 0));
    }

    @Test
    void smallAllocationsComeFromTheArena() {
        try (Arena arena = Arena.ofConfined()) {
            checkUsable(NativeMemory.allocate(arena, 1000, 64), 1000, 64);
        }
    }

    @Test
    void automaticArenasWork() {
        MemorySegment s = NativeMemory.allocate(Arena.ofAuto(), NativeMemory.HUGE_MIN, 64);
        checkUsable(s, NativeMemory.HUGE_MIN, 64);
    }

    @Test
    void lowForeverMemoryIsZeroedAlignedAndBelow2GbOnLinuxX86() {
        long bytes = 3 * 4096 + 100;
        MemorySegment s = NativeMemory.allocateLowForever(bytes);
        checkUsable(s, bytes, 64);
        if (lowMappingPossible()) {
            // This JVM has native access (the build's argLine), so low memory was looked for; only where none below
            // 2 GB is free at all may it lie elsewhere.
            assertTrue(NativeMemory.isLow(s) || !NativeMemory.lowWindowHasRoom(bytes),
                    "mapped at 0x" + Long.toHexString(s.address()) + " although there is room below 2 GB");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NativeMemory.allocateLowForever(0));
        assertTrue(e.getMessage().contains("0 bytes"), e.getMessage());
    }

    @Test
    void lowMemoryIsFoundWhenTheMap32BitWindowIsFull() {
        Assumptions.assumeTrue(lowMappingPossible(), "MAP_32BIT exists on Linux x86-64 only, and needs native access");
        // Take every MAP_32BIT mapping the kernel grants (it looks between 1 and 2 GB; nothing is touched, so this
        // reserves address space, not memory), as the JVM's class space does when it lands in that window.
        List<long[]> taken = new ArrayList<>();
        try {
            for (long chunk = 256L << 20; chunk >= 1L << 20; chunk >>= 1) {
                for (long at; (at = NativeMemory.mapThirtyTwoBit(chunk)) != 0L; ) {
                    taken.add(new long[] {at, chunk});
                }
            }
            // The JVM may free something in the window meanwhile; take that too, right before allocating. (If
            // room still opens in between, the allocation is low through MAP_32BIT and the assertion below holds
            // anyway; the address search itself is checked on its own in the next test.)
            for (long at; (at = NativeMemory.mapThirtyTwoBit(1L << 20)) != 0L; ) {
                taken.add(new long[] {at, 1L << 20});
            }
            long bytes = 1L << 20;
            MemorySegment s = NativeMemory.allocateLowForever(bytes);
            checkUsable(s, bytes, 64);
            assertTrue(NativeMemory.isLow(s), "with MAP_32BIT refused the scratch went to 0x"
                    + Long.toHexString(s.address()) + ", not below 2 GB");
        } finally {
            for (long[] t : taken) {
                NativeMemory.unmapForTest(t[0], t[1]);
            }
        }
    }

    @Test
    void theLowAddressSearchFindsZeroedMemoryBelow2Gb() {
        Assumptions.assumeTrue(lowMappingPossible(),
                "the search maps below 2 GB on Linux x86-64 only, and needs native access");
        long bytes = 3L << 20;
        long at = NativeMemory.mapLowByAddress(bytes);
        assertTrue(at != 0L, "no free 3 MB found below 2 GB");
        try {
            MemorySegment s = MemorySegment.ofAddress(at).reinterpret(bytes);
            assertTrue(NativeMemory.isLow(s), "mapped at 0x" + Long.toHexString(at) + ", not below 2 GB");
            checkUsable(s, bytes, 4096);
        } finally {
            NativeMemory.unmapForTest(at, bytes);
        }
    }

    @Test
    void badSizesAndAlignmentsAreRefusedByName() {
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NativeMemory.allocate(arena, 0, 64));
            assertTrue(e.getMessage().contains("0 bytes"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> NativeMemory.allocate(arena, -5, 64));
            assertThrows(IllegalArgumentException.class, () -> NativeMemory.allocate(arena, 64, 48));
            assertThrows(IllegalArgumentException.class, () -> NativeMemory.allocate(arena, 64, 4L << 20));
        }
    }

    @Test
    void readsTheBracketedTransparentHugePageMode(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("enabled");
        Files.writeString(f, "always [madvise] never\n");
        assertEquals("madvise", NativeMemory.transparentHugePageMode(f));
        Files.writeString(f, "[always] madvise never\n");
        assertEquals("always", NativeMemory.transparentHugePageMode(f));
        Files.writeString(f, "always madvise never\n");
        assertEquals("unknown", NativeMemory.transparentHugePageMode(f));
        assertEquals("unreadable", NativeMemory.transparentHugePageMode(dir.resolve("absent")));
    }

    @Test
    void reportsWhetherHugePagesAreOnAndWhyNot() {
        String s = NativeMemory.hugePages();
        assertTrue(NativeMemory.hugePagesOn() ? s.startsWith("on") : s.startsWith("off: "), s);
    }

    @Test
    void executablePagesRunTheCodeWrittenIntoThem() throws Throwable {
        Assumptions.assumeTrue(lowMappingPossible(), "x86-64 Linux with native access");
        // mov eax, 42 ; ret
        byte[] code = {(byte) 0xb8, 42, 0, 0, 0, (byte) 0xc3};
        MemorySegment pages = NativeMemory.mapExecutableForever(code);
        assertEquals(code.length, pages.byteSize());
        for (int i = 0; i < code.length; i++) {
            assertEquals(code[i], pages.get(ValueLayout.JAVA_BYTE, i), "code byte " + i);
        }
        java.lang.invoke.MethodHandle f = java.lang.foreign.Linker.nativeLinker().downcallHandle(pages,
                java.lang.foreign.FunctionDescriptor.of(ValueLayout.JAVA_INT));
        assertEquals(42, (int) f.invokeExact());
    }
}
