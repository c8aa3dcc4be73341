package dev.spruce.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * Zero-filled native memory for weights and activations, on transparent huge pages where Linux offers them.
 *
 * <p>Why: a layer's weights stream from DRAM at batch 1, and with 4 KB pages every 64 cache lines cost a TLB
 * miss, which in a virtual machine is a two-level page walk. Measured here (2026-11-30), a 180 MB stream: 13.1-13.7
 * ms on {@code Arena.allocate}'s memory, 10.7-11.3 ms on 2 MB pages (+20%); a 40 MB, cache-resident one: +2%. The
 * JVM's {@code -XX:+UseTransparentHugePages} covers only the Java heap, and glibc's allocations are neither
 * 2 MB-aligned nor advised, so allocations of {@link #HUGE_MIN} bytes and more are mapped here directly
 * ({@code mmap}, then {@code madvise(MADV_HUGEPAGE)} on the whole 2 MB pages inside) and unmapped when their arena
 * closes. Everything else, and every platform or setting where that cannot work (not Linux, huge pages "never",
 * no native access granted to this module, {@code -Dspruce.hugePages=false}), falls back to
 * {@link Arena#allocate(long, long)}; the memory's contents and lifetime are the same either way.
 */
public final class NativeMemory {
    /** Allocations from this size are mapped on huge pages. */
    public static final long HUGE_MIN = 4L << 20;
    private static final long PAGE_2M = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int PROT_READ_EXEC = 0x1 | 0x4;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;
    /** mmap flag (x86-64 Linux only): place the mapping in the lowest 2 GB. */
    private static final int MAP_32BIT = 0x40;
    /** mmap flag (Linux 4.17+): map exactly at the given address, or fail if anything is there already. */
    private static final int MAP_FIXED_NOREPLACE = 0x100000;
    /** Low memory ends here: a load's displacement is a sign-extended 32-bit number. */
    private static final long LOW_END = 1L << 31;
    /** Where {@link #mapLow} tries addresses when MAP_32BIT is refused: from 64 MB up, in 64 MB steps. */
    private static final long LOW_HINT_STEP = 64L << 20;
    private static final boolean LOW_MAPPING_ARCH = Set.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
    /** Linux's transparent-huge-page setting; its current mode is the bracketed word. */
    public static final Path THP_ENABLED = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    private NativeMemory() {
    }

    /**
     * {@code bytes} of zero-filled memory aligned to {@code alignment} (a power of two, at most 2 MB), freed when
     * {@code arena} closes.
     */
    public static MemorySegment allocate(Arena arena, long bytes, long alignment) {
        if (bytes <= 0 || alignment <= 0 || Long.bitCount(alignment) != 1 || alignment > PAGE_2M) {
            throw new IllegalArgumentException("native allocation of " + bytes + " bytes aligned to " + alignment
                    + ": need bytes > 0 and a power-of-two alignment up to 2 MB");
        }
        if (bytes >= HUGE_MIN && Mapper.AVAILABLE) {
            MemorySegment s = Mapper.map(arena, bytes);
            if (s != null) {
                return s;
            }
        }
        return arena.allocate(bytes, alignment);
    }

    /**
     * {@code bytes} of zero-filled, 64-byte-aligned memory that lives as long as the process, mapped in the lowest
     * 2 GB of the address space on Linux x86-64 ({@link #mapLow}), else anywhere (the global arena; also with
     * {@code -Dspruce.lowScratch=false}). For kernels' constant scratch buffers: when such a buffer is a
     * {@code static final} segment, C2 can put its address in a load's 32-bit displacement instead of keeping
     * address constants in registers (the 2:4 token kernel, in L1: 226-230 vs 211-217 dense-equivalent GFLOP/s,
     * 2026-11-30).
     */
    public static MemorySegment allocateLowForever(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("native allocation of " + bytes + " bytes: need bytes > 0");
        }
        if (Libc.MISSING == null && LOW_MAPPING_ARCH
                && Boolean.parseBoolean(System.getProperty("spruce.lowScratch", "true"))) {
            long start = mapLow(bytes);
            if (start != 0L) {
                return MemorySegment.ofAddress(start).reinterpret(bytes);
            }
        }
        return Arena.global().allocate(bytes, 64);
    }

    /**
     * A new anonymous mapping of {@code bytes} that ends at or below 2 GB, or 0 if none can be had. First
     * {@code MAP_32BIT}; the kernel looks for room for that only between 1 and 2 GB, and the JVM's compressed class
     * space (1 GB plus its CDS archive, which JDK 25 maps at a random address below 4 GB) sometimes covers that
     * window: one CI run of 2026-11-30 was refused. Then addresses from 64 MB up are tried one by one with
     * {@code MAP_FIXED_NOREPLACE}, which fails rather than replace anything mapped there. A kernel older than 4.17
     * treats that flag as a hint only and may map elsewhere; such a mapping is checked and given back.
     */
    private static long mapLow(long bytes) {
        long start = Libc.mapAnonymous(0L, bytes, MAP_32BIT);
        if (start != 0L && start + bytes <= LOW_END) {
            return start;
        }
        if (start != 0L) {
            Mapper.unmap(start, bytes);
        }
        return mapLowByAddress(bytes);
    }

    /** The second half of {@link #mapLow}: addresses from 64 MB up, tried one by one; 0 if none is free. */
    static long mapLowByAddress(long bytes) {
        if (Libc.MISSING != null || !LOW_MAPPING_ARCH) {
            return 0L;
        }
        for (long hint = LOW_HINT_STEP; hint + bytes <= LOW_END; hint += LOW_HINT_STEP) {
            long at = Libc.mapAnonymous(hint, bytes, MAP_FIXED_NOREPLACE);
            if (at == hint) {
                return at;
            }
            if (at != 0L) {
                Mapper.unmap(at, bytes);
            }
        }
        return 0L;
    }

    /**
     * Whether {@link #mapLow} finds room for {@code bytes} right now (a mapping is made and unmapped again), i.e.
     * whether {@link #allocateLowForever} would get low memory.
     */
    static boolean lowWindowHasRoom(long bytes) {
        if (Libc.MISSING != null || !LOW_MAPPING_ARCH) {
            return false;
        }
        long start = mapLow(bytes);
        if (start == 0L) {
            return false;
        }
        Mapper.unmap(start, bytes);
        return true;
    }

    /** A {@code MAP_32BIT} mapping of {@code bytes} alone, or 0 if refused (for tests that fill its window). */
    static long mapThirtyTwoBit(long bytes) {
        return Libc.MISSING != null || !LOW_MAPPING_ARCH ? 0L : Libc.mapAnonymous(0L, bytes, MAP_32BIT);
    }

    /** Gives back a mapping made by {@link #mapThirtyTwoBit} or {@link #mapLowByAddress} (for tests). */
    static void unmapForTest(long start, long bytes) {
        Mapper.unmap(start, bytes);
    }

    /**
     * A read+execute copy of {@code code} (machine code for this CPU) in pages of its own, mapped for the life of the
     * process: written while the pages are read+write, then switched to read+execute, so they are never writable and
     * executable at once. For kernels that need an instruction Java does not offer (see
     * {@code kernel.vector.CachePrefetch}). Throws {@link IllegalStateException} saying why where that cannot be had:
     * not Linux, no native access for this module, or mmap or mprotect refused (as under SELinux
     * {@code deny_execmem}).
     */
    public static MemorySegment mapExecutableForever(byte[] code) {
        if (Libc.MISSING != null) {
            throw new IllegalStateException(Libc.MISSING);
        }
        final long len = Math.max(1, code.length);
        final long start = Libc.mapAnonymous(0L, len, 0);
        if (start == 0L) {
            throw new IllegalStateException("mmap of a code page refused");
        }
        final MemorySegment pages = MemorySegment.ofAddress(start).reinterpret(len);
        MemorySegment.copy(code, 0, pages, ValueLayout.JAVA_BYTE, 0, code.length);
        int rc;
        try {
            rc = (int) Libc.MPROTECT.invokeExact(pages, len, PROT_READ_EXEC);
        } catch (Throwable e) {
            rc = -1;
        }
        if (rc != 0) {
            Mapper.unmap(start, len);
            throw new IllegalStateException("executable page refused (mprotect PROT_EXEC)");
        }
        return pages;
    }

    /** Whether {@code s} lies wholly in the lowest 2 GB of the address space. */
    static boolean isLow(MemorySegment s) {
        return s.isNative() && s.address() + s.byteSize() <= LOW_END;
    }

    /** Whether large allocations go on huge pages in this JVM (and, if not, why not). */
    public static String hugePages() {
        return Mapper.AVAILABLE ? "on (allocations of " + (HUGE_MIN >> 20) + " MB and more)" : "off: " + Mapper.REASON;
    }

    static boolean hugePagesOn() {
        return Mapper.AVAILABLE;
    }

    /**
     * The current mode in the kernel's transparent-huge-page setting file ({@code enabled}, e.g. the bracketed
     * word of {@code always [madvise] never}): "always", "madvise" or "never"; "unknown" for other contents,
     * "unreadable" when the file cannot be read (not Linux).
     */
    public static String transparentHugePageMode(Path enabled) {
        try {
            String s = Files.readString(enabled);
            int a = s.indexOf('[');
            int b = s.indexOf(']');
            return a >= 0 && b > a ? s.substring(a + 1, b) : "unknown";
        } catch (IOException | SecurityException e) {
            return "unreadable";
        }
    }

    /**
     * libc's mmap, madvise, munmap and mprotect, looked up once; {@link #MISSING} says why not where they cannot be
     * used.
     */
    private static final class Libc {
        static final String MISSING;
        static final MethodHandle MMAP;
        static final MethodHandle MADVISE;
        static final MethodHandle MUNMAP;
        static final MethodHandle MPROTECT;

        static {
            String missing = null;
            MethodHandle mmap = null;
            MethodHandle madvise = null;
            MethodHandle munmap = null;
            MethodHandle mprotect = null;
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
                missing = "not Linux";
            } else if (!NativeMemory.class.getModule().isNativeAccessEnabled()) {
                missing = "no native access for this module (--enable-native-access)";
            } else {
                try {
                    Linker linker = Linker.nativeLinker();
                    SymbolLookup libc = linker.defaultLookup();
                    mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                    ValueLayout.JAVA_LONG));
                    madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                    ValueLayout.JAVA_INT));
                    munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                    mprotect = linker.downcallHandle(libc.find("mprotect").orElseThrow(),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                    ValueLayout.JAVA_INT));
                } catch (RuntimeException e) {
                    missing = "libc mmap/madvise/munmap/mprotect not found: " + e;
                }
            }
            MISSING = missing;
            MMAP = mmap;
            MADVISE = madvise;
            MUNMAP = munmap;
            MPROTECT = mprotect;
        }

        /**
         * The address of a new private, anonymous, read-write (so zero-filled) mapping of {@code len} bytes, with
         * {@code flags} added to mmap's and {@code addr} as its address argument (0: the kernel chooses); 0 if mmap
         * refuses (callers fall back to an arena).
         */
        static long mapAnonymous(long addr, long len, int flags) {
            try {
                MemorySegment base = (MemorySegment) MMAP.invokeExact(MemorySegment.ofAddress(addr), len,
                        PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS | flags, -1, 0L);
                long start = base.address();
                return start == -1L ? 0L : start; // MAP_FAILED
            } catch (Throwable e) {
                return 0L;
            }
        }
    }

    /** Huge-page mappings; {@link #AVAILABLE} false (with a reason) wherever they cannot be used. */
    private static final class Mapper {
        static final boolean AVAILABLE;
        static final String REASON;

        static {
            String reason = null;
            if (!Boolean.parseBoolean(System.getProperty("spruce.hugePages", "true"))) {
                reason = "-Dspruce.hugePages=false";
            } else if (Libc.MISSING != null) {
                reason = Libc.MISSING;
            } else {
                String mode = transparentHugePageMode(THP_ENABLED);
                if (!mode.equals("madvise") && !mode.equals("always")) {
                    reason = "transparent huge pages are '" + mode + "'";
                }
            }
            AVAILABLE = reason == null;
            REASON = reason == null ? "" : reason;
        }

        /** A 2 MB-aligned anonymous mapping of {@code bytes} (plus slack to align), or null if mmap refuses. */
        static MemorySegment map(Arena arena, long bytes) {
            final long len = bytes + PAGE_2M;
            final long start = Libc.mapAnonymous(0L, len, 0);
            if (start == 0L) {
                return null; // fall back to the arena's allocator
            }
            long aligned = (start + PAGE_2M - 1) & -PAGE_2M;
            try {
                // Only whole 2 MB pages: a partly used one would hold memory nobody asked for.
                int ignored = (int) Libc.MADVISE.invokeExact(MemorySegment.ofAddress(aligned),
                        bytes / PAGE_2M * PAGE_2M, MADV_HUGEPAGE);
            } catch (Throwable e) {
                unmap(start, len);
                return null;
            }
            return MemorySegment.ofAddress(aligned).reinterpret(bytes, arena, s -> unmap(start, len));
        }

        private static void unmap(long start, long len) {
            try {
                int ignored = (int) Libc.MUNMAP.invokeExact(MemorySegment.ofAddress(start), len);
            } catch (Throwable e) {
                throw new IllegalStateException("munmap of " + len + " bytes failed", e);
            }
        }
    }
}
