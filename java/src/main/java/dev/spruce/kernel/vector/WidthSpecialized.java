package dev.spruce.kernel.vector;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads one copy of a kernel class per vector width.
 *
 * <p>WHY: C2 turns Vector API calls into SIMD instructions only when the species is a compile-time
 * constant. A species held in an instance field, or passed as an argument, is not, and the code then
 * falls back to the (very slow, allocating) Java implementation. A {@code static final} species is a
 * constant, but a class has only one. So each kernel class declares its species as static finals
 * computed from {@link #bits(MethodHandles.Lookup)}, and this class defines a hidden copy of the class
 * per forced width, handing the width over as class data (also a JIT constant). The copy loaded the
 * normal way uses the preferred width. This keeps one source for every width (tests force 128, 256 and
 * 512 bits on one CPU, as Lucene's {@code tests.vectorsize} does) without giving up constant species.
 *
 * <p>A kernel class used here must be self-contained: its code may call its own methods and lambdas
 * (they resolve to the hidden copy) and other classes that hold no species, but must not reach another
 * width-specialised class by name (that would be the preferred-width copy).
 */
final class WidthSpecialized {
    private static final Map<String, Object> CACHE = new ConcurrentHashMap<>();

    private WidthSpecialized() {
    }

    /** The vector width a kernel class copy was made for: its class data, else the preferred width. */
    static int bits(MethodHandles.Lookup lookup) {
        try {
            Integer bits = MethodHandles.classData(lookup, "_", Integer.class);
            return bits == null ? VectorConstants.PREFERRED_BITS : bits;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read class data of " + lookup.lookupClass(), e);
        }
    }

    /**
     * An instance of {@code impl} (which must have a no-argument constructor and implement
     * {@code api}) compiled for {@code bits}. The preferred width uses the ordinary class.
     */
    static <T> T instance(Class<? extends T> impl, Class<T> api, int bits) {
        String key = impl.getName() + "@" + bits;
        return api.cast(CACHE.computeIfAbsent(key, k -> create(impl, bits)));
    }

    private static Object create(Class<?> impl, int bits) {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Class<?> cls = impl;
            if (bits != VectorConstants.PREFERRED_BITS) {
                byte[] bytes;
                String file = impl.getName().substring(impl.getName().lastIndexOf('.') + 1) + ".class";
                try (InputStream in = impl.getResourceAsStream(file)) {
                    if (in == null) {
                        throw new IllegalStateException("class file " + file + " not found next to " + impl);
                    }
                    bytes = in.readAllBytes();
                }
                cls = lookup.defineHiddenClassWithClassData(bytes, bits, true).lookupClass();
            }
            return MethodHandles.privateLookupIn(cls, lookup).findConstructor(cls,
                    java.lang.invoke.MethodType.methodType(void.class)).invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot load " + impl.getSimpleName() + " for " + bits + "-bit vectors", t);
        }
    }
}
