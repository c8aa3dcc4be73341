/*
 * HotSpot disassembler plug-in for looking at what C2 makes of a Vector API kernel (developer tool, not part of
 * the build). JDK 25 asks hsdis-amd64.so for decode_instructions_virtual(); Debian's libhsdis0-fcml still exports
 * only the older decode_instructions(), which takes the same callbacks and decodes from the code's own address.
 * This shim forwards the new entry point to the old one.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

typedef void *(*decode_fn)(void *start, void *end, void *event_cb, void *event_stream, void *printf_cb,
                           void *printf_stream, const char *options);

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  void *event_cb, void *event_stream, void *printf_cb, void *printf_stream,
                                  const char *options, int newline) {
    static decode_fn old;
    (void) end_va;
    (void) buffer;
    (void) newline;
    if (old == NULL) {
        void *lib = dlopen(HSDIS_FCML, RTLD_NOW);
        if (lib == NULL || (old = (decode_fn) dlsym(lib, "decode_instructions")) == NULL) {
            fprintf(stderr, "hsdis shim: cannot load %s: %s\n", HSDIS_FCML, dlerror());
            return NULL;
        }
    }
    return old((void *) start_va, (void *) (start_va + length), event_cb, event_stream, printf_cb, printf_stream,
               options);
}
