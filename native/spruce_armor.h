/*
 * Spruce ARMOR wrappers on NVIDIA GPUs: the batched block-diagonal product, host launch API.
 *
 * An ARMOR layer is Y = A (S (B X)) + bias with A, B block-diagonal and S 2:4 sparse (see
 * dev.spruce.layout.ArmorLayout). The 2:4 core runs on spruce_sp24_gemm (native/spruce_sp24.h); this header
 * adds the wrapper product, every diagonal block of one matrix in one launch:
 *
 *   y[t][b*bs + r] = sum_c D_b[r][c] * x[t][b*bs + c]  (+ bias[b*bs + r])      for every token t, block b
 *
 *   blocks : n/bs blocks of bs x bs, f32, back to back, block b row-major at element b*bs*bs
 *   x      : tokens x n row-major, f32, bf16 or f16
 *   y      : tokens x n row-major, f32, bf16 or f16 (f32 accumulation, rounded once)
 *   bias   : n f32, or NULL
 * Requirements: n >= 1, bs >= 1, n % bs == 0, tokens >= 1, x and y distinct; 4-byte aligned pointers.
 *
 * All pointers are device pointers; `stream` is a cudaStream_t passed as void* (NULL = legacy default stream),
 * as in native/spruce_cuda.h. The call is asynchronous. It returns SPRUCE_ARMOR_OK (0), a negative
 * SPRUCE_ARMOR_E_* argument error (nothing launched), or a positive cudaError_t from the launch;
 * spruce_armor_status_string() names any of them.
 */
#ifndef SPRUCE_ARMOR_H
#define SPRUCE_ARMOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types (the same numbering as SPRUCE_SP24_F32/BF16/F16). */
#define SPRUCE_ARMOR_F32 0
#define SPRUCE_ARMOR_BF16 1
#define SPRUCE_ARMOR_F16 2

#define SPRUCE_ARMOR_OK 0
#define SPRUCE_ARMOR_E_NULL (-201)  /* a required pointer is NULL */
#define SPRUCE_ARMOR_E_SHAPE (-202) /* n, bs or tokens < 1, n % bs != 0, or sizes overflow */
#define SPRUCE_ARMOR_E_ALIGN (-203) /* a pointer is not 4-byte aligned */
#define SPRUCE_ARMOR_E_DTYPE (-204) /* unknown dtype */
#define SPRUCE_ARMOR_E_ALIAS (-205) /* x and y are the same buffer */

int spruce_armor_blockdiag(const float *blocks, const void *x, void *y, const float *bias, int n, int bs,
                           int tokens, int in_dtype, int out_dtype, void *stream);

/* Human-readable text for a status returned above. */
const char *spruce_armor_status_string(int status);

#ifdef __cplusplus
}
#endif

#endif /* SPRUCE_ARMOR_H */
