/*
 * Spruce 2:4 sparse GEMM on NVIDIA tensor cores (mma.sp.m16n8k32): host launch API.
 *
 * Computes Y = X * W^T, i.e. y_n = W x_n for every token n, with f32 accumulation.
 *   W      : M x K (out x in), pruned 2:4 along K, given as
 *   values : row-major [M][K/2] bf16 or f16 (the two kept values of each group of 4, increasing k)
 *   meta   : 32-bit words in "GPU order" word[slab = m/32][kstep = k/32][lane 0..31]
 *            (CUTLASS SM80 semantics: 4-bit code i0 | i1 << 2 per group, see cuda/README.md)
 *   x      : N x K row-major, same dtype as values
 *   y      : N x M row-major, f32, bf16 or f16
 * Requirements: M % 32 == 0, K % 32 == 0, N >= 1; values, meta, x 16-byte aligned; y 16-byte aligned.
 *
 * All pointers are device pointers; `stream` is a cudaStream_t passed as void* (NULL = legacy default stream),
 * following native/spruce_cuda.h, so this header needs no CUDA include. All calls are asynchronous.
 * The return value is SPRUCE_SP24_OK (0), a negative SPRUCE_SP24_E_* argument error (nothing launched;
 * numbered apart from spruce_cuda.h's SPRUCE_E_*), or a positive cudaError_t value from the launch.
 * spruce_sp24_status_string() turns any of them into text.
 */
#ifndef SPRUCE_SP24_H
#define SPRUCE_SP24_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types (values/x: BF16 or F16; y: any of the three). */
#define SPRUCE_SP24_F32 0
#define SPRUCE_SP24_BF16 1
#define SPRUCE_SP24_F16 2

/* Kernel choice for spruce_sp24_gemm_ex. */
#define SPRUCE_SP24_KERNEL_AUTO 0
#define SPRUCE_SP24_KERNEL_SMALL 1 /* tokens on n8 tiles, warps split K: batch <= 64 */
#define SPRUCE_SP24_KERNEL_LARGE 2 /* 128x128 block tiles, warp 64x32: batch 65..511 */
#define SPRUCE_SP24_KERNEL_WIDE 3  /* 128x256 block tiles, warp 64x64: batch >= 512 */

#define SPRUCE_SP24_OK 0
#define SPRUCE_SP24_E_NULL (-101) /* a required pointer is NULL */
#define SPRUCE_SP24_E_SHAPE (-102) /* M % 32, K % 32, N < 1, or sizes overflow */
#define SPRUCE_SP24_E_ALIGN (-103) /* a pointer is not 16-byte aligned */
#define SPRUCE_SP24_E_DTYPE (-104) /* unknown dtype, or f32 inputs */
#define SPRUCE_SP24_E_KERNEL (-105) /* unknown kernel id or negative split count */
#define SPRUCE_SP24_E_DEVICE (-106) /* no device / compute capability below 8.0 */

/*
 * Split-K workspace. Bytes the automatic choice wants for (M, K, N) (0 if it does not split K).
 * A workspace must be zero-filled once after allocation (spruce_sp24_workspace_init or cudaMemset): its
 * first 64 KiB hold per-tile arrival counters, which every call leaves zero again (the rest holds f32
 * partial sums). One workspace must not be used by two calls that may run at the same time (different
 * streams); a larger one serves smaller calls.
 */
size_t spruce_sp24_workspace_bytes(int M, int K, int N);

/* cudaMemsetAsync(workspace, 0, workspace_bytes, stream), with the pointer checks of the GEMM call. */
int spruce_sp24_workspace_init(void *workspace, size_t workspace_bytes, void *stream);

/*
 * Automatic kernel and split-K choice. workspace may be NULL (or smaller than
 * spruce_sp24_workspace_bytes): then split-K is off, which is correct but slower at small batch.
 * Y is written in one pass (no read of Y, no second kernel).
 */
int spruce_sp24_gemm(const void *values, const uint32_t *meta, const void *x, void *y, int M, int K, int N,
                     int in_dtype, int out_dtype, void *workspace, size_t workspace_bytes, void *stream);

/* Same with the kernel and split count forced (splits 0 = automatic). For tests and tuning. */
int spruce_sp24_gemm_ex(const void *values, const uint32_t *meta, const void *x, void *y, int M, int K, int N,
                        int in_dtype, int out_dtype, void *workspace, size_t workspace_bytes, int kernel,
                        int splits, void *stream);

/* Workspace bytes a forced (kernel, splits) call needs; splits 0 = automatic. */
size_t spruce_sp24_workspace_bytes_ex(int M, int K, int N, int kernel, int splits);

/*
 * Single-warp probe of one mma.sp::ordered_metadata m16n8k32 with raw per-lane registers:
 * a[32*4], b[32*4], e[32] (uint32, lane-major) in, d[32*4] f32 out (accumulator starts at 0).
 * selector 0 or 1; dtype SPRUCE_SP24_BF16 or SPRUCE_SP24_F16. Used to pin down fragment/metadata lane maps.
 */
int spruce_sp24_mma_probe(const uint32_t *a, const uint32_t *b, const uint32_t *e, float *d, int selector,
                          int dtype, void *stream);

/* Human-readable text for a status returned above. */
const char *spruce_sp24_status_string(int status);

#ifdef __cplusplus
}
#endif

#endif /* SPRUCE_SP24_H */
