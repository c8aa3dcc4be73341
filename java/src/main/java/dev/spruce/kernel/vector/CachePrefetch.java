package dev.spruce.kernel.vector;

import dev.spruce.tensor.NativeMemory;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Set;

/**
 * Software prefetch ({@code prefetcht0}) of cache lines into L1, for kernels that know which memory they read next.
 *
 * <p>Why: the 2:4 row kernel reads each K segment of a row block from memory once and then reuses it from L1 for
 * every token, so the reads come in bursts. Loads that miss hold up retirement until their line arrives, so a
 * burst is paid in full on top of the arithmetic, and touching the next segment early with ordinary loads only
 * moves the stall (measured: no gain). A prefetch instruction retires at once, so the next segment's lines arrive
 * while the current one is computed: 11008x4096 x 32 tokens ran in 22-23 ms instead of 25.5-28 on one thread
 * (2026-11-30; 20 ms when every block read the same cached data).
 *
 * <p>How: Java has no prefetch (the JDK's {@code Unsafe.prefetch*} went in JDK 9), so this class writes a 41-byte
 * x86-64 function into a page of its own at start-up ({@link NativeMemory#mapExecutableForever}: never writable and
 * executable at once), and calls it through a critical FFM downcall, which may take heap segments and costs a few
 * nanoseconds. The function prefetches two ranges of lines:
 *
 * <pre>
 *   add rdi, rsi ; test rdx, rdx ; jle 2f          range 1: base rdi + offset rsi, rdx lines
 * 1: prefetcht0 [rdi] ; add rdi, 64 ; dec rdx ; jnz 1b
 * 2: add rcx, r8 ; test r9, r9 ; jle 4f            range 2: base rcx + offset r8, r9 lines
 * 3: prefetcht0 [rcx] ; add rcx, 64 ; dec r9 ; jnz 3b
 * 4: ret
 * </pre>
 *
 * A prefetch never faults, whatever the address, so a wrong range could only waste time; the ranges are clipped to
 * their segments here anyway. Only on x86-64 Linux (System V calling convention, mmap/mprotect); elsewhere, with
 * {@code -Dspruce.prefetch=false}, or where the kernel refuses executable pages, {@link #lines} does nothing and
 * {@link #unavailable()} says why. The kernels give the same results either way; only their speed differs.
 */
final class CachePrefetch {
    private static final long LINE = 64;
    private static final byte[] CODE = {
        0x48, 0x01, (byte) 0xf7, 0x48, (byte) 0x85, (byte) 0xd2, 0x7e, 0x0c, 0x0f, 0x18, 0x0f, 0x48,
        (byte) 0x83, (byte) 0xc7, 0x40, 0x48, (byte) 0xff, (byte) 0xca, 0x75, (byte) 0xf4, 0x4c, 0x01, (byte) 0xc1,
        0x4d, (byte) 0x85, (byte) 0xc9, 0x7e, 0x0c, 0x0f, 0x18, 0x09, 0x48, (byte) 0x83, (byte) 0xc1, 0x40, 0x49,
        (byte) 0xff, (byte) 0xc9, 0x75, (byte) 0xf4, (byte) 0xc3
    };
    private static final MethodHandle PREFETCH;
    private static final String UNAVAILABLE;

    static {
        MethodHandle handle = null;
        String why = null;
        try {
            handle = create();
        } catch (Throwable e) {
            why = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        PREFETCH = handle;
        UNAVAILABLE = why;
    }

    private CachePrefetch() {
    }

    /** Null where prefetching works, else why {@link #lines} does nothing here. */
    static String unavailable() {
        return UNAVAILABLE;
    }

    /**
     * Prefetches {@code n1} lines of {@code s1} from byte {@code o1} and {@code n2} lines of {@code s2} from
     * {@code o2}; each range is clipped to its segment (negative or empty ranges do nothing). A hint: no effect on
     * results.
     */
    static void lines(MemorySegment s1, long o1, long n1, MemorySegment s2, long o2, long n2) {
        if (PREFETCH == null) {
            return;
        }
        n1 = clip(s1, o1, n1);
        n2 = clip(s2, o2, n2);
        try {
            PREFETCH.invokeExact(s1, n1 > 0 ? o1 : 0L, n1, s2, n2 > 0 ? o2 : 0L, n2);
        } catch (Throwable e) {
            throw new IllegalStateException("cache prefetch call failed", e);
        }
    }

    /** Lines of {@code n} from {@code offset} that lie inside {@code s}, at least one byte each (0 if none). */
    static long clip(MemorySegment s, long offset, long n) {
        final long size = s.byteSize();
        if (n <= 0 || offset < 0 || offset >= size) {
            return 0;
        }
        return Math.min(n, (size - offset + LINE - 1) / LINE);
    }

    private static MethodHandle create() {
        if ("false".equals(System.getProperty("spruce.prefetch"))) {
            throw new IllegalStateException("turned off (-Dspruce.prefetch=false)");
        }
        if (!Set.of("amd64", "x86_64").contains(System.getProperty("os.arch"))) {
            throw new IllegalStateException("x86-64 code, not for " + System.getProperty("os.arch"));
        }
        // Linux and native access are NativeMemory's conditions; it says which one is missing.
        final MemorySegment code = NativeMemory.mapExecutableForever(CODE);
        return Linker.nativeLinker().downcallHandle(code, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG), Linker.Option.critical(true));
    }
}
