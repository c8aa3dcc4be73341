/*
 * Spruce native CUDA API: the C functions the Java bindings (dev.spruce.cuda.CudaNative) call.
 *
 * Rules every function follows:
 *  - Pointers to device memory and streams travel as raw pointers (void*); a NULL stream is the
 *    legacy default stream. No function keeps a pointer after it returns.
 *  - Every function returns a status: 0 on success, a positive cudaError_t value for a CUDA runtime
 *    failure, or one of the negative SPRUCE_E_* codes below. On failure a message naming the call is
 *    stored in a thread-local buffer that spruce_last_error() returns (valid until the next failure
 *    on the same thread).
 *  - Shapes follow the project convention: W is M x K row-major (out x in), activations X are N x K
 *    row-major (one token per row), outputs Y are N x M, so Y = X W^T.
 *
 * The header is plain C with no CUDA includes so the JNI glue compiles with the host compiler alone.
 */
#ifndef SPRUCE_CUDA_H
#define SPRUCE_CUDA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types (same order as dev.spruce.tensor.DType). */
#define SPRUCE_F32 0
#define SPRUCE_BF16 1
#define SPRUCE_F16 2

/* Spruce's own status codes (CUDA's are positive). */
#define SPRUCE_E_INVALID_ARGUMENT (-1)
#define SPRUCE_E_CUBLAS_MISSING (-2)
#define SPRUCE_E_CUBLAS (-3)
#define SPRUCE_E_UNSUPPORTED (-4)

/* Number of device-info fields spruce_device_info writes. */
#define SPRUCE_DEVICE_INFO_FIELDS 10

/* ---- errors ---------------------------------------------------------------------------------- */
/* The message of the last failure on this thread ("" if none). */
const char* spruce_last_error(void);
/* cudaGetErrorString for a CUDA status (static string; never NULL). */
const char* spruce_cuda_error_string(int status);
/* Version of the CUDA runtime linked into the library (e.g. 13000). */
int spruce_runtime_version(int* version);
/* Version of the installed driver (0 when there is none). */
int spruce_driver_version(int* version);

/* ---- devices --------------------------------------------------------------------------------- */
/* cudaGetDeviceCount. *count is set to 0 whenever the status is not 0 (the runtime leaves it undefined). */
int spruce_device_count(int* count);
int spruce_set_device(int device);
/* Device name, NUL-terminated, truncated to len-1 bytes. */
int spruce_device_name(int device, char* name, int len);
/* Writes SPRUCE_DEVICE_INFO_FIELDS values: SM count, CC major, CC minor, total global memory bytes,
   free global memory bytes, L2 bytes, max opt-in shared memory per block, shared memory per SM,
   memory bus width (bits), warp size. */
int spruce_device_info(int device, long long* out);

/* ---- memory and synchronisation -------------------------------------------------------------- */
int spruce_malloc(void** ptr, size_t bytes);
int spruce_free(void* ptr);
/* kind: 1 host->device, 2 device->host, 3 device->device (cudaMemcpyKind values). Synchronous. */
int spruce_memcpy(void* dst, const void* src, size_t bytes, int kind);
int spruce_memset(void* ptr, int value, size_t bytes, void* stream);
int spruce_device_synchronize(void);
int spruce_stream_create(void** stream);
int spruce_stream_destroy(void* stream);
int spruce_stream_synchronize(void* stream);

/* ---- timing (CUDA events) -------------------------------------------------------------------- */
int spruce_event_create(void** event);
int spruce_event_destroy(void* event);
int spruce_event_record(void* event, void* stream);
int spruce_event_synchronize(void* event);
/* Milliseconds between two recorded events (waits for end). */
int spruce_event_elapsed_ms(void* start, void* end, float* ms);

/* ---- element-wise helpers -------------------------------------------------------------------- */
/* dst[i] = convert(src[i]) for count elements between SPRUCE_F32/BF16/F16 (round to nearest even). */
int spruce_convert(void* dst, int dst_type, const void* src, int src_type, size_t count, void* stream);
/* Fills count elements of the given type with uniform values in [-scale, scale) from a counter hash of
   (seed, index): the same seed gives the same data on every device. */
int spruce_fill_uniform(void* dst, int type, size_t count, unsigned long long seed, float scale, void* stream);

/* ---- dense GEMM (Spruce's own tiled kernel) -------------------------------------------------- */
/* Y (n x m, f32) = X (n x k, f32) * W^T, W m x k of w_type (F32, BF16 or F16); f32 accumulation. */
int spruce_dense_gemm(int w_type, const void* w, const float* x, float* y, int n, int m, int k, void* stream);

/* ---- cuBLAS baseline (libcublas loaded at run time with dlopen) ------------------------------ */
/* Loads libcublas (SPRUCE_CUBLAS env var = a file or folder, then libcublas.so.13, libcublas.so, then
   the usual toolkit and pip folders) and creates a handle. SPRUCE_E_CUBLAS_MISSING when not found. */
int spruce_cublas_create(void** handle);
int spruce_cublas_destroy(void* handle);
/* Where the loaded libcublas came from (or why none loaded). */
const char* spruce_cublas_origin(void);
/* Y (n x m) = X (n x k) * W^T via cublasGemmEx with f32 compute. Operand types: (w, x) both F32, or both
   BF16, or both F16; y_type F32, or the same 16-bit type as the operands. */
int spruce_cublas_gemm(void* handle, void* stream, int w_type, const void* w, int x_type, const void* x,
                       int y_type, void* y, int n, int m, int k);

#ifdef __cplusplus
}
#endif

#endif /* SPRUCE_CUDA_H */
