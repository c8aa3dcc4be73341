/*
 * Spruce block-sparse GEMM on NVIDIA tensor cores (bf16 mma.sync.m16n8k16, f32 accumulation): host launch API.
 *
 * Computes Y = X * W^T, i.e. y_n = W x_n for every token n. W is M x K (out x in), block-sparse with bh x bw
 * blocks (bh, bw each 16, 32 or 64), given in "row-grouped BSR" form:
 *   values      : the kept blocks, bf16, [blocks][bh][bw] (block-major, row-major inside a block: the BSR order
 *                 of dev.spruce.layout.BlockSparse)
 *   group_ptr   : int32 [groups + 1], groups = ceil(M / SPRUCE_BLOCK_GROUP_ROWS); block rows are taken in groups of
 *                 G = SPRUCE_BLOCK_GROUP_ROWS / bh (block rows g*G .. g*G+G-1); the entries of group g are
 *                 group_ptr[g] .. group_ptr[g+1]-1 (group_ptr[0] = 0, non-decreasing)
 *   entry_col   : int32 [entries], the block column of each entry (each block column any block row of the group
 *                 keeps, once; increasing order is recommended, not required)
 *   entry_block : int32 [entries][G], for each entry and each block row of its group the index of that row's block
 *                 at the entry's column in `values`, or -1 where that row dropped it (and for block rows past M)
 *   x           : N x K row-major bf16
 *   y           : N x M row-major f32 (every element written)
 * Requirements: M % bh == 0, K % bw == 0, N >= 1; values, x, y 16-byte aligned. The index arrays are trusted
 * (the Java side builds and checks them): a column or block index out of range reads outside the buffers.
 *
 * All pointers are device pointers; `stream` is a cudaStream_t passed as void* (NULL = legacy default stream),
 * following native/spruce_cuda.h. The call is asynchronous. The return value is SPRUCE_BLOCK_OK (0), a negative
 * SPRUCE_BLOCK_E_* argument error (nothing launched), or a positive cudaError_t value from the launch;
 * spruce_block_status_string() names any of them.
 */
#ifndef SPRUCE_BLOCK_H
#define SPRUCE_BLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Weight rows per row group (one CTA's M tile). */
#define SPRUCE_BLOCK_GROUP_ROWS 128

/* Token tiling for spruce_block_gemm_ex. */
#define SPRUCE_BLOCK_KERNEL_AUTO 0   /* the widest tile giving >= 2 CTAs per SM; N <= 32: SMALL */
#define SPRUCE_BLOCK_KERNEL_SMALL 1  /* 32-token tiles, 4 warps */
#define SPRUCE_BLOCK_KERNEL_MEDIUM 2 /* 64-token tiles, 8 warps */
#define SPRUCE_BLOCK_KERNEL_LARGE 3  /* 128-token tiles, 8 warps */

#define SPRUCE_BLOCK_OK 0
#define SPRUCE_BLOCK_E_NULL (-201)   /* a required pointer is NULL */
#define SPRUCE_BLOCK_E_SHAPE (-202)  /* M % bh, K % bw, N < 1, or sizes overflow */
#define SPRUCE_BLOCK_E_ALIGN (-203)  /* values, x or y not 16-byte aligned */
#define SPRUCE_BLOCK_E_BLOCK (-204)  /* block size not 16/32/64 in each direction */
#define SPRUCE_BLOCK_E_KERNEL (-205) /* unknown kernel id */
#define SPRUCE_BLOCK_E_DEVICE (-206) /* no device / compute capability below 8.0 */

/* Automatic token tiling. */
int spruce_block_gemm(const void *values, const int32_t *group_ptr, const int32_t *entry_col,
                      const int32_t *entry_block, const void *x, float *y, int M, int K, int N, int bh, int bw,
                      void *stream);

/* Same with the token tiling forced (SPRUCE_BLOCK_KERNEL_*). For tests and tuning. */
int spruce_block_gemm_ex(const void *values, const int32_t *group_ptr, const int32_t *entry_col,
                         const int32_t *entry_block, const void *x, float *y, int M, int K, int N, int bh, int bw,
                         int kernel, void *stream);

/* Human-readable text for a status returned above. */
const char *spruce_block_status_string(int status);

#ifdef __cplusplus
}
#endif

#endif /* SPRUCE_BLOCK_H */
