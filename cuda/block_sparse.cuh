// The block-sparse GEMM kernel template (launchers in cuda/block_sparse.cu, C API in native/spruce_block.h).
//
// Y[n][m] = sum_k W[m][k] X[n][k] with W block-sparse: BH x BW blocks, BSR on the host. The device form is
// "row-grouped BSR": block rows are taken in groups of G = 128 / BH (128 weight rows per CTA), and each group
// has a list of entries, one per block column that any of its block rows keeps (the sorted union), with the
// BSR block index of each of the group's G block rows at that column, or -1 where that row dropped it.
//
// WHY groups: a CTA that owns one 32-row block row would load a BN x BW slice of X for every 32 x BW block, so
// X dominates the traffic (about 26 flop per byte of shared-memory fill at BN = 128), well below what the tensor
// cores need. Sharing each X slice among the block rows of a 128-row group that keep that column brings it near
// a dense 128-row tile's ratio whenever the kept columns overlap (at 50% sparsity about twice as many flops per
// byte); a block row that dropped the column costs nothing but an idle warp for that stage.
//
// CTA = (row group, BN-token tile). One pipeline stage = one entry: the group's kept blocks at that column
// (contiguous BH x BW bf16 chunks of the BSR values) and the X slice (BN tokens x BW), staged into shared memory
// with cp.async, STAGES deep (the ring of sp24_gemm.cuh). Warps are 4 along M (32 rows each, two m16 tiles) x
// WARPS_N along tokens; each m16 tile lies inside one block row (BH >= 16), so a warp skips the mma.sync
// m16n8k16 (and the ldmatrix) of a tile whose block row dropped the entry. Rows are XOR-swizzled in 16-byte
// chunks so ldmatrix reads of 8 rows hit 8 distinct bank groups. Epilogue: fragments to a token-major f32 tile in
// shared memory, then coalesced float4 stores of Y (f32). Rows past M (a last, partial group) have no blocks and
// are not written.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "block_ptx.cuh"

namespace spruce {
namespace block {

using sp24::cp_async16_zfill;
using sp24::cp_async_commit;
using sp24::cp_async_wait;
using sp24::ldmatrix_x4;
using sp24::smem_u32;

struct BlockArgs {
    const uint8_t *values;     // [blocks][BH][BW] bf16, BSR order
    const int *group_ptr;      // [groups + 1]: entries of group g are group_ptr[g] .. group_ptr[g+1]-1
    const int *entry_col;      // [entries] block column of each entry
    const int *entry_block;    // [entries][G] BSR block of each block row of the group at that column, or -1
    const uint8_t *x;          // [N][K] bf16
    float *y;                  // [N][M] f32
    int M, K, N;
};

constexpr int kRowsPerGroup = 128;

template <int BH_, int BW_, int BN_, int WARPS_N_, int STAGES_>
struct BlockConfig {
    static constexpr int BH = BH_, BW = BW_, BN = BN_, WARPS_N = WARPS_N_, STAGES = STAGES_;
    static constexpr int BM = kRowsPerGroup, G = BM / BH;
    static constexpr int WARPS_M = 4, THREADS = 32 * WARPS_M * WARPS_N;
    static constexpr int WM = BM / WARPS_M, WN = BN / WARPS_N;
    static constexpr int MT = WM / 16, NT = WN / 8, KS = BW / 16;
    static constexpr int ROW = BW * 2, CPR = ROW / 16;  // bytes and 16-byte chunks per smem row
    static constexpr int W_BYTES = BM * ROW, X_BYTES = BN * ROW;
    static constexpr int STAGE_BYTES = W_BYTES + X_BYTES;
    static constexpr int PIPE_BYTES = STAGES * STAGE_BYTES;
    static constexpr int C_LD = BM + 4;  // +4 floats: conflict-free fragment scatter, 16-byte rows kept
    static constexpr int EPI_BYTES = BN * C_LD * 4;
    static constexpr int SMEM_BYTES = PIPE_BYTES > EPI_BYTES ? PIPE_BYTES : EPI_BYTES;

    static_assert(BH == 16 || BH == 32 || BH == 64, "block height 16, 32 or 64");
    static_assert(BW == 16 || BW == 32 || BW == 64, "block width 16, 32 or 64");
    static_assert(NT % 2 == 0, "B fragments are loaded two n8 tiles at a time");
};

// Physical 16-byte chunk of logical chunk c in row r, for rows of CPR chunks (32, 64 or 128 bytes): 8 consecutive
// rows at the same logical chunk land in 8 distinct 16-byte bank groups.
template <int CPR>
__device__ __forceinline__ int swz(int r, int c) {
    if constexpr (CPR >= 8) {
        return c ^ (r & 7);
    } else if constexpr (CPR == 4) {
        return c ^ ((r >> 1) & 3);
    } else {
        return c ^ ((r >> 2) & 1);
    }
}

template <class C>
__global__ void __launch_bounds__(C::THREADS) block_gemm_kernel(const BlockArgs p) {
    SPRUCE_SP24_DYNAMIC_SMEM(smem);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp % C::WARPS_M, wn = warp / C::WARPS_M;
    const int group = blockIdx.x;
    const int m0 = group * C::BM, n0 = blockIdx.y * C::BN;
    const int M = p.M, K = p.K, N = p.N;
    const int e0 = p.group_ptr[group];
    const int ne = p.group_ptr[group + 1] - e0;
    const uint32_t smem_base = smem_u32(smem);

    auto load_stage = [&](int slot, int e) {
        const uint32_t sW = smem_base + slot * C::STAGE_BYTES;
        const uint32_t sX = sW + C::W_BYTES;
        const int col = p.entry_col[e];
        // W: the group's kept blocks at this column; rows of a dropped block are left unwritten (never read).
        for (int i = tid; i < C::BM * C::CPR; i += C::THREADS) {
            const int r = i / C::CPR, c = i % C::CPR;
            const int blk = p.entry_block[(size_t)e * C::G + r / C::BH];
            if (blk >= 0) {
                const uint8_t *src = p.values + ((size_t)blk * C::BH * C::BW + (size_t)(r % C::BH) * C::BW) * 2 + c * 16;
                cp_async16_zfill(sW + r * C::ROW + swz<C::CPR>(r, c) * 16, src, true);
            }
        }
        // X: BN tokens x BW columns at this block column; tokens past N read as zeros.
        for (int i = tid; i < C::BN * C::CPR; i += C::THREADS) {
            const int r = i / C::CPR, c = i % C::CPR;
            const int tok = n0 + r;
            const bool ok = tok < N;
            const uint8_t *src = ok ? p.x + ((size_t)tok * K + (size_t)col * C::BW) * 2 + c * 16 : p.x;
            cp_async16_zfill(sX + r * C::ROW + swz<C::CPR>(r, c) * 16, src, ok);
        }
    };

    float acc[C::MT][C::NT][4];
#pragma unroll
    for (int i = 0; i < C::MT; ++i)
#pragma unroll
        for (int j = 0; j < C::NT; ++j)
#pragma unroll
            for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.f;

    auto compute_stage = [&](int slot, int e) {
        const uint32_t sW = smem_base + slot * C::STAGE_BYTES;
        const uint32_t sX = sW + C::W_BYTES;
        bool present[C::MT];
        bool any = false;
#pragma unroll
        for (int mi = 0; mi < C::MT; ++mi) {
            present[mi] = p.entry_block[(size_t)e * C::G + (wm * C::WM + mi * 16) / C::BH] >= 0;
            any = any || present[mi];
        }
        if (!any) return;  // warp-uniform: none of this warp's rows keep the block
#pragma unroll
        for (int ks = 0; ks < C::KS; ++ks) {
            // A fragment of an m16 tile = ldmatrix.x4: (rows 0-7, chunk 2ks), (rows 8-15, 2ks), (0-7, 2ks+1), (8-15, 2ks+1).
            uint32_t a[C::MT][4];
#pragma unroll
            for (int mi = 0; mi < C::MT; ++mi) {
                if (!present[mi]) continue;
                const int r = wm * C::WM + mi * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
                const int c = 2 * ks + (lane >> 4);
                ldmatrix_x4(a[mi], sW + r * C::ROW + swz<C::CPR>(r, c) * 16);
            }
            // B fragments of two n8 tiles = ldmatrix.x4: (tokens 0-7, chunk 2ks), (0-7, 2ks+1), (8-15, 2ks), (8-15, 2ks+1).
            uint32_t b[C::NT][2];
#pragma unroll
            for (int ni = 0; ni < C::NT; ni += 2) {
                const int q = lane >> 3;
                const int r = wn * C::WN + ni * 8 + (q >> 1) * 8 + (lane & 7);
                const int c = 2 * ks + (q & 1);
                uint32_t t[4];
                ldmatrix_x4(t, sX + r * C::ROW + swz<C::CPR>(r, c) * 16);
                b[ni][0] = t[0];
                b[ni][1] = t[1];
                b[ni + 1][0] = t[2];
                b[ni + 1][1] = t[3];
            }
#pragma unroll
            for (int mi = 0; mi < C::MT; ++mi) {
                if (!present[mi]) continue;
#pragma unroll
                for (int ni = 0; ni < C::NT; ++ni) mma_16816_bf16(acc[mi][ni], a[mi], b[ni][0], b[ni][1]);
            }
        }
    };

    // Multistage cp.async ring: STAGES-1 entries in flight while one is consumed.
#pragma unroll
    for (int s = 0; s < C::STAGES - 1; ++s) {
        if (s < ne) load_stage(s, e0 + s);
        cp_async_commit();
    }
    for (int it = 0; it < ne; ++it) {
        cp_async_wait<C::STAGES - 2>();
        __syncthreads();  // entry `it` visible to all; slot (it-1)%STAGES free for refill
        const int nxt = it + C::STAGES - 1;
        if (nxt < ne) load_stage(nxt % C::STAGES, e0 + nxt);
        cp_async_commit();
        compute_stage(it % C::STAGES, e0 + it);
    }
    cp_async_wait<0>();
    __syncthreads();

    // Epilogue: scatter fragments to a token-major f32 tile, then 4 consecutive rows per thread to Y.
    float *sC = reinterpret_cast<float *>(smem);
#pragma unroll
    for (int mi = 0; mi < C::MT; ++mi)
#pragma unroll
        for (int ni = 0; ni < C::NT; ++ni) {
            const int r = wm * C::WM + mi * 16 + (lane >> 2);
            const int n = wn * C::WN + ni * 8 + 2 * (lane & 3);
            float *base = sC + (size_t)n * C::C_LD + r;
            base[0] = acc[mi][ni][0];
            base[C::C_LD] = acc[mi][ni][1];
            base[8] = acc[mi][ni][2];
            base[C::C_LD + 8] = acc[mi][ni][3];
        }
    __syncthreads();
    for (int i = tid; i < C::BN * (C::BM / 4); i += C::THREADS) {
        const int n = i / (C::BM / 4), r4 = (i % (C::BM / 4)) * 4;
        const int tok = n0 + n, gm = m0 + r4;
        if (tok >= N || gm >= M) continue;
        *reinterpret_cast<float4 *>(p.y + (size_t)tok * M + gm) =
            *reinterpret_cast<const float4 *>(sC + (size_t)n * C::C_LD + r4);
    }
}

// The three token tilings: SMALL 32 tokens (4 warps), MEDIUM 64 (8 warps, warp tile 32x32), LARGE 128 (8 warps,
// warp tile 32x64). Stages: 4 for 16/32-wide blocks, 3 for 64-wide (32 KB per stage).
template <int BH, int BW>
using SmallCfg = BlockConfig<BH, BW, 32, 1, (BW == 64 ? 3 : 4)>;
template <int BH, int BW>
using MediumCfg = BlockConfig<BH, BW, 64, 2, (BW == 64 ? 3 : 4)>;
template <int BH, int BW>
using LargeCfg = BlockConfig<BH, BW, 128, 2, (BW == 64 ? 3 : 4)>;

}  // namespace block
}  // namespace spruce
