// Device query, memory, streams, events and error reporting: thin, checked wrappers over the CUDA runtime.
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "spruce_common.cuh"

namespace {
thread_local char last_error[1024] = "";
}

int spruce_fail(int status, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

int spruce_cuda_status(cudaError_t err, const char* call) {
    if (err == cudaSuccess) return 0;
    // Clear the sticky per-thread error so the next call starts clean (sticky context errors persist anyway).
    (void)cudaGetLastError();
    return spruce_fail((int)err, "%s: %s (%s)", call, cudaGetErrorString(err), cudaGetErrorName(err));
}

int spruce_launch_status(const char* kernel) {
    return spruce_cuda_status(cudaGetLastError(), kernel);
}

extern "C" {

const char* spruce_last_error(void) { return last_error; }

const char* spruce_cuda_error_string(int status) {
    return cudaGetErrorString((cudaError_t)status);
}

int spruce_runtime_version(int* version) {
    if (!version) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_runtime_version: null output");
    return spruce_cuda_status(cudaRuntimeGetVersion(version), "cudaRuntimeGetVersion");
}

int spruce_driver_version(int* version) {
    if (!version) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_driver_version: null output");
    *version = 0;
    int st = spruce_cuda_status(cudaDriverGetVersion(version), "cudaDriverGetVersion");
    if (st != 0) *version = 0;
    return st;
}

int spruce_device_count(int* count) {
    if (!count) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_device_count: null output");
    int n = 0;
    int st = spruce_cuda_status(cudaGetDeviceCount(&n), "cudaGetDeviceCount");
    // Without a driver the runtime returns cudaErrorInsufficientDriver and leaves n undefined.
    *count = st == 0 ? n : 0;
    return st;
}

int spruce_set_device(int device) {
    return spruce_cuda_status(cudaSetDevice(device), "cudaSetDevice");
}

int spruce_device_name(int device, char* name, int len) {
    if (!name || len <= 0) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_device_name: bad buffer");
    cudaDeviceProp p;
    SPRUCE_TRY(spruce_cuda_status(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties"));
    strncpy(name, p.name, (size_t)len - 1);
    name[len - 1] = '\0';
    return 0;
}

int spruce_device_info(int device, long long* out) {
    if (!out) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_device_info: null output");
    cudaDeviceProp p;
    SPRUCE_TRY(spruce_cuda_status(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties"));
    int current = 0;
    SPRUCE_TRY(spruce_cuda_status(cudaGetDevice(&current), "cudaGetDevice"));
    size_t free_b = 0, total_b = 0;
    if (current == device) {
        SPRUCE_TRY(spruce_cuda_status(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo"));
    }
    int bus = 0;
    SPRUCE_TRY(spruce_cuda_status(cudaDeviceGetAttribute(&bus, cudaDevAttrGlobalMemoryBusWidth, device),
                                  "cudaDeviceGetAttribute(GlobalMemoryBusWidth)"));
    out[0] = p.multiProcessorCount;
    out[1] = p.major;
    out[2] = p.minor;
    out[3] = (long long)p.totalGlobalMem;
    out[4] = (long long)free_b;
    out[5] = p.l2CacheSize;
    out[6] = (long long)p.sharedMemPerBlockOptin;
    out[7] = (long long)p.sharedMemPerMultiprocessor;
    out[8] = bus;
    out[9] = p.warpSize;
    return 0;
}

int spruce_malloc(void** ptr, size_t bytes) {
    if (!ptr) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_malloc: null output");
    *ptr = nullptr;
    if (bytes == 0) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "cudaMalloc: zero bytes requested");
    cudaError_t e = cudaMalloc(ptr, bytes);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        *ptr = nullptr;
        return spruce_fail((int)e, "cudaMalloc(%zu bytes): %s (%s)", bytes, cudaGetErrorString(e), cudaGetErrorName(e));
    }
    return 0;
}

int spruce_free(void* ptr) {
    return spruce_cuda_status(cudaFree(ptr), "cudaFree");
}

int spruce_memcpy(void* dst, const void* src, size_t bytes, int kind) {
    if (kind < 1 || kind > 3) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_memcpy: bad kind %d", kind);
    if (bytes == 0) return 0;
    if (!dst || !src) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "cudaMemcpy: null pointer");
    cudaError_t e = cudaMemcpy(dst, src, bytes, (cudaMemcpyKind)kind);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        static const char* names[] = {"", "host->device", "device->host", "device->device"};
        return spruce_fail((int)e, "cudaMemcpy(%zu bytes, %s): %s (%s)", bytes, names[kind], cudaGetErrorString(e),
                           cudaGetErrorName(e));
    }
    return 0;
}

int spruce_memset(void* ptr, int value, size_t bytes, void* stream) {
    if (bytes == 0) return 0;
    return spruce_cuda_status(cudaMemsetAsync(ptr, value, bytes, (cudaStream_t)stream), "cudaMemsetAsync");
}

int spruce_device_synchronize(void) {
    return spruce_cuda_status(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}

int spruce_stream_create(void** stream) {
    if (!stream) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_stream_create: null output");
    return spruce_cuda_status(cudaStreamCreateWithFlags((cudaStream_t*)stream, cudaStreamNonBlocking),
                              "cudaStreamCreateWithFlags");
}

int spruce_stream_destroy(void* stream) {
    return spruce_cuda_status(cudaStreamDestroy((cudaStream_t)stream), "cudaStreamDestroy");
}

int spruce_stream_synchronize(void* stream) {
    return spruce_cuda_status(cudaStreamSynchronize((cudaStream_t)stream), "cudaStreamSynchronize");
}

int spruce_event_create(void** event) {
    if (!event) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_event_create: null output");
    return spruce_cuda_status(cudaEventCreate((cudaEvent_t*)event), "cudaEventCreate");
}

int spruce_event_destroy(void* event) {
    return spruce_cuda_status(cudaEventDestroy((cudaEvent_t)event), "cudaEventDestroy");
}

int spruce_event_record(void* event, void* stream) {
    return spruce_cuda_status(cudaEventRecord((cudaEvent_t)event, (cudaStream_t)stream), "cudaEventRecord");
}

int spruce_event_synchronize(void* event) {
    return spruce_cuda_status(cudaEventSynchronize((cudaEvent_t)event), "cudaEventSynchronize");
}

int spruce_event_elapsed_ms(void* start, void* end, float* ms) {
    if (!ms) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_event_elapsed_ms: null output");
    SPRUCE_TRY(spruce_event_synchronize(end));
    return spruce_cuda_status(cudaEventElapsedTime(ms, (cudaEvent_t)start, (cudaEvent_t)end), "cudaEventElapsedTime");
}

}  // extern "C"
