// The batched block-diagonal product behind ARMOR's wrappers (native/spruce_armor.h), as a kernel template
// shared by the launcher (cuda/armor_blockdiag.cu) and the CPU emulation test (cuda/tests/armor_emu.cpp).
//
// One block of 256 threads owns TT=64 tokens x TR=64 output rows of one diagonal block and walks that block's
// bs inputs in TC=32 steps: each step stages the 64x32 activation tile (converted to f32) and the 64x32 weight
// tile in shared memory (rows padded to 33 floats: the column walk then hits 32 distinct banks), and every
// thread accumulates 4 tokens x 4 rows in registers (8 shared loads per 16 FMAs; a 2x4 tile needed 6 per 8). Global loads walk consecutive columns, so each warp reads
// 128 contiguous bytes. Any bs works (tiles are bounds-checked); bs = 128 needs 2 row tiles per block.
//
// SIMT f32 FMAs, not tensor cores: the wrappers are bs*(M+K) multiply-adds per token against M*K/2 for the
// 2:4 core (12.5% at 4096^2 with bs 128), and at small batch the launch reads each weight block once, so
// this kernel is bound by memory and launch latency, not by FMA throughput; mma.sync is the next step for
// large batches.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#ifdef SPRUCE_SP24_HOST_EMU
#include "tests/sp24_emu_ptx.h"
#define SPRUCE_ARMOR_SMEM(name) uint8_t *name = ::spruce_emu::ctx.block->smem
#else
#define SPRUCE_ARMOR_SMEM(name) extern __shared__ __align__(16) uint8_t name[]
#endif

namespace spruce {
namespace armor {

constexpr int kF32 = 0, kBf16 = 1, kF16 = 2;
constexpr int TT = 64;       // tokens per block tile
constexpr int TR = 64;       // output rows per block tile
constexpr int TC = 32;       // inputs per shared-memory step
constexpr int PAD = TC + 1;  // padded row length in shared memory (floats)
constexpr int THREADS = 256;
constexpr size_t SMEM_BYTES = (size_t)(TT + TR) * PAD * sizeof(float);

struct BlockDiagArgs {
    const float *blocks;  // [n/bs][bs][bs] f32
    const void *x;        // [tokens][n] in_dtype
    void *y;              // [tokens][n] out_dtype
    const float *bias;    // [n] or nullptr
    int n, bs, tokens;
    int in_dtype, out_dtype;
    int row_tiles;        // ceil(bs / TR): gridDim.x = (n / bs) * row_tiles
};

__host__ __device__ inline float load_elem(const void *p, size_t i, int dtype) {
    if (dtype == kF32) return static_cast<const float *>(p)[i];
    if (dtype == kBf16) return __bfloat162float(static_cast<const __nv_bfloat16 *>(p)[i]);
    return __half2float(static_cast<const __half *>(p)[i]);
}

__host__ __device__ inline void store_elem(void *p, size_t i, int dtype, float v) {
    if (dtype == kF32) static_cast<float *>(p)[i] = v;
    else if (dtype == kBf16) static_cast<__nv_bfloat16 *>(p)[i] = __float2bfloat16_rn(v);
    else static_cast<__half *>(p)[i] = __float2half_rn(v);
}

__global__ void __launch_bounds__(THREADS) armor_blockdiag_kernel(BlockDiagArgs a) {
    SPRUCE_ARMOR_SMEM(smem_raw);
    float *xs = reinterpret_cast<float *>(smem_raw);  // [TT][PAD]
    float *ds = xs + TT * PAD;                        // [TR][PAD]
    const int tid = threadIdx.x;
    const int tx = tid % 16;  // output rows tx, tx+16, tx+32, tx+48 of the tile
    const int ty = tid / 16;  // tokens ty, ty+16, ty+32, ty+48 of the tile
    const int blk = blockIdx.x / a.row_tiles;
    const int r0 = (blockIdx.x % a.row_tiles) * TR;
    const int t0 = blockIdx.y * TT;
    const int bs = a.bs;
    const size_t base = (size_t)blk * bs;
    const float *w = a.blocks + (size_t)blk * bs * bs;
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;
    for (int c0 = 0; c0 < bs; c0 += TC) {
        for (int i = tid; i < TT * TC; i += THREADS) {
            const int t = i / TC, c = i % TC;
            const int tok = t0 + t, col = c0 + c;
            xs[t * PAD + c] = (tok < a.tokens && col < bs)
                                  ? load_elem(a.x, (size_t)tok * a.n + base + col, a.in_dtype)
                                  : 0.f;
        }
        for (int i = tid; i < TR * TC; i += THREADS) {
            const int r = i / TC, c = i % TC;
            const int row = r0 + r, col = c0 + c;
            ds[r * PAD + c] = (row < bs && col < bs) ? w[(size_t)row * bs + col] : 0.f;
        }
        __syncthreads();
#pragma unroll 8
        for (int c = 0; c < TC; ++c) {
            float xv[4], dv[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) xv[i] = xs[(ty + 16 * i) * PAD + c];
#pragma unroll
            for (int j = 0; j < 4; ++j) dv[j] = ds[(tx + 16 * j) * PAD + c];
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i][j] += dv[j] * xv[i];
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int tok = t0 + ty + 16 * i;
        if (tok >= a.tokens) continue;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int row = r0 + tx + 16 * j;
            if (row >= bs) continue;
            float v = acc[i][j];
            if (a.bias != nullptr) v += a.bias[base + row];
            store_elem(a.y, (size_t)tok * a.n + base + row, a.out_dtype, v);
        }
    }
}

}  // namespace armor
}  // namespace spruce
