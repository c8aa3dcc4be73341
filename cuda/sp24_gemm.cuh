// The 2:4 sparse GEMM kernel template behind both launch paths (small batch and large batch).
//
// Y[n][m] = sum_k W[m][k] X[n][k]. W is operand A of mma.sp (sparse along K), X is operand B (.col:
// X rows are contiguous in K, which is exactly B's column layout). A block owns a BM x BN output tile
// and a contiguous run of K "stages" (BK logical K each); gridDim.z splits K across blocks, the partial
// tiles go to an f32 workspace and the last slice of each tile to finish (one atomic counter per tile)
// sums them in slice order, so the result is deterministic.
//
// Warps are arranged WARPS_M x WARPS_N x WARPS_K. Each warp owns WM = BM/WARPS_M weight rows (a
// multiple of 32, so one metadata word per lane serves two m16 tiles: selector 0 and 1) and WN tokens,
// and takes every WARPS_K-th 32-wide k-step of each stage. The small-batch configuration puts the
// parallelism on K (WARPS_K = 4), the large-batch one on M and N (WARPS_K = 1).
//
// Shared memory per stage: A (compressed values, BM rows x BK bytes), B (activations, BN rows x 2*BK
// bytes), E (metadata, (BM/32) slabs x BK/32 k-steps x 128 bytes, copied verbatim from the GPU order).
// A and B rows are XOR-swizzled in 16-byte chunks so that ldmatrix reads of 8 rows hit 8 distinct
// bank groups.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>
#include <string.h>

#include "sp24_ptx.cuh"

namespace spruce {
namespace sp24 {

constexpr int kOutF32 = 0, kOutBf16 = 1, kOutF16 = 2;

struct GemmArgs {
    const uint8_t *values;  // [M][K/2] 16-bit
    const uint32_t *meta;   // GPU order
    const uint8_t *x;       // [N][K] 16-bit
    void *y;                // [N][M] out dtype (splits == 1)
    float *ws;              // [splits][N][M] f32 partials (splits > 1)
    unsigned *counters;     // [gridDim.y][gridDim.x] arrival counters, zero between calls (splits > 1)
    int M, K, N;
    int out_dtype;
    int stages_total;      // ceil(K / BK)
    int stages_per_split;  // stages per gridDim.z slice
    int device;            // host-side bookkeeping only (which device the launch targets)
};

template <int BM_, int BN_, int BK_, int WARPS_M_, int WARPS_N_, int WARPS_K_, int STAGES_, int MIN_BLOCKS_>
struct GemmConfig {
    static constexpr int BM = BM_, BN = BN_, BK = BK_;
    static constexpr int WARPS_M = WARPS_M_, WARPS_N = WARPS_N_, WARPS_K = WARPS_K_;
    static constexpr int STAGES = STAGES_, MIN_BLOCKS = MIN_BLOCKS_;
    static constexpr int THREADS = 32 * WARPS_M * WARPS_N * WARPS_K;
    static constexpr int WM = BM / WARPS_M, WN = BN / WARPS_N;
    static constexpr int MT = WM / 16, SLABS_W = WM / 32, NT = WN / 8;
    static constexpr int KS = BK / 32;  // k-steps per stage
    static constexpr int A_ROW = BK, A_CPR = A_ROW / 16;
    static constexpr int B_ROW = 2 * BK, B_CPR = B_ROW / 16;
    static constexpr int A_BYTES = BM * A_ROW;
    static constexpr int B_BYTES = BN * B_ROW;
    static constexpr int E_BYTES = (BM / 32) * KS * 128;
    static constexpr int STAGE_BYTES = A_BYTES + B_BYTES + E_BYTES;
    static constexpr int PIPE_BYTES = STAGES * STAGE_BYTES;
    static constexpr int C_LD = BM + 4;  // +4 floats: conflict-free fragment scatter, 16-byte rows kept
    static constexpr int EPI_BYTES = WARPS_K * BN * C_LD * 4;
    static constexpr int SMEM_BYTES = PIPE_BYTES > EPI_BYTES ? PIPE_BYTES : EPI_BYTES;
    static constexpr int SMEM_ALLOC = SMEM_BYTES + 16;  // + the split-K "last slice" flag

    static_assert(WM % 32 == 0, "a warp owns whole 32-row metadata slabs");
    static_assert(WN % 8 == 0, "a warp owns whole n8 tiles");
    static_assert(BK % 64 == 0, "A rows need at least 4 16-byte chunks for the swizzle");
    static_assert(KS % WARPS_K == 0, "k-steps split evenly across K warps");
};

// Physical 16-byte chunk of logical chunk c in row r, for rows of CPR chunks.
template <int CPR>
__device__ __forceinline__ int swizzle(int r, int c) {
    static_assert(CPR >= 4, "rows of at least 64 bytes");
    if constexpr (CPR >= 8) {
        return c ^ (r & 7);  // 8 consecutive rows, same c: 8 distinct chunk slots of a 128-byte line
    } else {
        return c ^ ((r >> 1) & 3);  // two 64-byte rows share a 128-byte line
    }
}

// Writes 4 consecutive outputs (o is a multiple of 4) in the requested type.
__device__ __forceinline__ void store4(void *y, size_t o, float4 v, int out_dtype) {
    if (out_dtype == kOutF32) {
        *reinterpret_cast<float4 *>(static_cast<float *>(y) + o) = v;
    } else if (out_dtype == kOutBf16) {
        __nv_bfloat162 lo = __floats2bfloat162_rn(v.x, v.y), hi = __floats2bfloat162_rn(v.z, v.w);
        uint2 pk;
        memcpy(&pk.x, &lo, 4);
        memcpy(&pk.y, &hi, 4);
        *reinterpret_cast<uint2 *>(static_cast<__nv_bfloat16 *>(y) + o) = pk;
    } else {
        __half2 lo = __floats2half2_rn(v.x, v.y), hi = __floats2half2_rn(v.z, v.w);
        uint2 pk;
        memcpy(&pk.x, &lo, 4);
        memcpy(&pk.y, &hi, 4);
        *reinterpret_cast<uint2 *>(static_cast<__half *>(y) + o) = pk;
    }
}

// Sum over the K-splitting warps of the staged tile, 4 rows (r4..r4+3) of token n.
template <class C>
__device__ __forceinline__ float4 sum_k_warps(const float *sC, int n, int r4) {
    float4 v = *reinterpret_cast<const float4 *>(sC + (size_t)n * C::C_LD + r4);
#pragma unroll
    for (int w = 1; w < C::WARPS_K; ++w) {
        const float4 u = *reinterpret_cast<const float4 *>(sC + (size_t)(w * C::BN + n) * C::C_LD + r4);
        v.x += u.x;
        v.y += u.y;
        v.z += u.z;
        v.w += u.w;
    }
    return v;
}

template <class C, bool BF16>
__global__ void __launch_bounds__(C::THREADS, C::MIN_BLOCKS) sp24_gemm_kernel(const GemmArgs p) {
    SPRUCE_SP24_DYNAMIC_SMEM(smem);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp % C::WARPS_M;
    const int wn = (warp / C::WARPS_M) % C::WARPS_N;
    const int wk = warp / (C::WARPS_M * C::WARPS_N);
    const int m0 = blockIdx.x * C::BM, n0 = blockIdx.y * C::BN;
    const int split = blockIdx.z;
    const int M = p.M, K = p.K, N = p.N;
    const int ksteps_total = K / 32, slabs_total = M / 32;
    const int st_begin = split * p.stages_per_split;
    const int st_end = min(st_begin + p.stages_per_split, p.stages_total);
    const int nst = st_end - st_begin;
    const uint64_t policy = l2_evict_first_policy();
    const uint32_t smem_base = smem_u32(smem);

    auto load_stage = [&](int slot, int st) {
        const uint32_t sA = smem_base + slot * C::STAGE_BYTES;
        const uint32_t sB = sA + C::A_BYTES;
        const uint32_t sE = sB + C::B_BYTES;
        const int kstep0 = st * C::KS;
        const int kvalid = min(C::KS, ksteps_total - kstep0);
        // A: chunk c of a row holds compressed columns [8c, 8c+8) = logical k-step c/2 of the stage.
#pragma unroll 2  // fully unrolled, the hoisted addresses spill (small16 on sm_90)
        for (int i = tid; i < C::BM * C::A_CPR; i += C::THREADS) {
            const int r = i / C::A_CPR, c = i % C::A_CPR;
            const int grow = m0 + r;
            if (grow < M && (c >> 1) < kvalid) {
                const uint8_t *src = p.values + (size_t)grow * K + (size_t)kstep0 * 32 + c * 16;
                cp_async16_evict_first(sA + r * C::A_ROW + swizzle<C::A_CPR>(r, c) * 16, src, policy);
            }
        }
        // E: per slab, the stage's k-steps are one contiguous run of KS * 128 bytes.
#pragma unroll 2  // fully unrolled, the hoisted addresses spill (small16 on sm_90)
        for (int i = tid; i < (C::BM / 32) * C::KS * 8; i += C::THREADS) {
            const int s = i / (C::KS * 8), ks = (i / 8) % C::KS, c = i % 8;
            const int gslab = m0 / 32 + s;
            if (gslab < slabs_total && ks < kvalid) {
                const uint32_t *src = p.meta + ((size_t)gslab * ksteps_total + kstep0 + ks) * 32 + c * 4;
                cp_async16_evict_first(sE + (s * C::KS + ks) * 128 + c * 16, src, policy);
            }
        }
        // B: chunk c of a token row holds logical k [8c, 8c+8) = k-step c/4. Tokens past N read as zeros.
#pragma unroll 2  // fully unrolled, the hoisted addresses spill (small16 on sm_90)
        for (int i = tid; i < C::BN * C::B_CPR; i += C::THREADS) {
            const int r = i / C::B_CPR, c = i % C::B_CPR;
            const int tok = n0 + r;
            if ((c >> 2) < kvalid) {
                const bool ok = tok < N;
                const uint8_t *src = ok ? p.x + ((size_t)tok * K + (size_t)kstep0 * 32 + c * 8) * 2 : p.x;
                cp_async16_zfill(sB + r * C::B_ROW + swizzle<C::B_CPR>(r, c) * 16, src, ok);
            }
        }
    };

    float acc[C::MT][C::NT][4];
#pragma unroll
    for (int i = 0; i < C::MT; ++i)
#pragma unroll
        for (int j = 0; j < C::NT; ++j)
#pragma unroll
            for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.f;

    // Slabs past M (only in the last row tile) are skipped: their metadata was never loaded.
    bool slab_ok[C::SLABS_W];
#pragma unroll
    for (int i = 0; i < C::SLABS_W; ++i) slab_ok[i] = (m0 / 32 + wm * C::SLABS_W + i) < slabs_total;

    auto compute_stage = [&](int slot, int st) {
        const uint32_t sA = smem_base + slot * C::STAGE_BYTES;
        const uint32_t sB = sA + C::A_BYTES;
        const uint32_t *sE = reinterpret_cast<const uint32_t *>(smem + slot * C::STAGE_BYTES + C::A_BYTES + C::B_BYTES);
        const int kvalid = min(C::KS, ksteps_total - st * C::KS);
#pragma unroll
        for (int kk = 0; kk < C::KS / C::WARPS_K; ++kk) {
            const int ks = kk * C::WARPS_K + wk;
            if (ks >= kvalid) break;
            uint32_t e[C::SLABS_W];
#pragma unroll
            for (int i = 0; i < C::SLABS_W; ++i) e[i] = sE[((wm * C::SLABS_W + i) * C::KS + ks) * 32 + lane];
            // A fragment of an m16 tile = ldmatrix.x4 over the 16x16 compressed tile:
            // matrices (rows 0-7, chunk 0), (rows 8-15, chunk 0), (rows 0-7, chunk 1), (rows 8-15, chunk 1).
            uint32_t a[C::MT][4];
#pragma unroll
            for (int mi = 0; mi < C::MT; ++mi) {
                const int r = wm * C::WM + mi * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
                const int c = 2 * ks + (lane >> 4);
                ldmatrix_x4(a[mi], sA + r * C::A_ROW + swizzle<C::A_CPR>(r, c) * 16);
            }
            // B fragment of an n8 tile = ldmatrix.x4 over 8 tokens x 32 k: matrix j = k [8j, 8j+8).
            uint32_t b[C::NT][4];
#pragma unroll
            for (int ni = 0; ni < C::NT; ++ni) {
                const int r = wn * C::WN + ni * 8 + (lane & 7);
                const int c = 4 * ks + (lane >> 3);
                ldmatrix_x4(b[ni], sB + r * C::B_ROW + swizzle<C::B_CPR>(r, c) * 16);
            }
#pragma unroll
            for (int mi = 0; mi < C::MT; ++mi) {
                if (!slab_ok[mi >> 1]) continue;
#pragma unroll
                for (int ni = 0; ni < C::NT; ++ni) {
                    if (mi & 1)
                        mma_sp_16832<BF16, 1>(acc[mi][ni], a[mi], b[ni], e[mi >> 1]);
                    else
                        mma_sp_16832<BF16, 0>(acc[mi][ni], a[mi], b[ni], e[mi >> 1]);
                }
            }
        }
    };

    // Multistage cp.async ring: STAGES-1 stages in flight while one is consumed.
#pragma unroll
    for (int s = 0; s < C::STAGES - 1; ++s) {
        if (s < nst) load_stage(s, st_begin + s);
        cp_async_commit();
    }
    for (int it = 0; it < nst; ++it) {
        cp_async_wait<C::STAGES - 2>();
        __syncthreads();  // stage `it` visible to all; slot (it-1)%STAGES free for refill
        const int nxt = it + C::STAGES - 1;
        if (nxt < nst) load_stage(nxt % C::STAGES, st_begin + nxt);
        cp_async_commit();
        compute_stage(it % C::STAGES, st_begin + it);
    }
    cp_async_wait<0>();
    __syncthreads();

    // Epilogue: scatter fragments to a token-major f32 tile, reduce the K warps, write 4 rows per thread.
    float *sC = reinterpret_cast<float *>(smem);
#pragma unroll
    for (int mi = 0; mi < C::MT; ++mi)
#pragma unroll
        for (int ni = 0; ni < C::NT; ++ni) {
            const int r = wm * C::WM + mi * 16 + (lane >> 2);
            const int n = wn * C::WN + ni * 8 + 2 * (lane & 3);
            float *base = sC + (size_t)(wk * C::BN + n) * C::C_LD + r;
            base[0] = acc[mi][ni][0];
            base[C::C_LD] = acc[mi][ni][1];
            base[8] = acc[mi][ni][2];
            base[C::C_LD + 8] = acc[mi][ni][3];
        }
    __syncthreads();
    if (gridDim.z == 1) {
        for (int i = tid; i < C::BN * (C::BM / 4); i += C::THREADS) {
            const int n = i / (C::BM / 4), r4 = (i % (C::BM / 4)) * 4;
            const int tok = n0 + n, gm = m0 + r4;
            if (tok >= N || gm >= M) continue;
            store4(p.y, (size_t)tok * M + gm, sum_k_warps<C>(sC, n, r4), p.out_dtype);
        }
        return;
    }
    // Split-K: publish this slice's partial tile, then the last slice to finish (per output tile) sums all
    // slices in slice order (deterministic) and writes Y. This replaces a second reduce kernel, whose
    // launch gap would cost more than the reduction itself at decode sizes.
    const size_t NM = (size_t)N * M;
    for (int i = tid; i < C::BN * (C::BM / 4); i += C::THREADS) {
        const int n = i / (C::BM / 4), r4 = (i % (C::BM / 4)) * 4;
        const int tok = n0 + n, gm = m0 + r4;
        if (tok >= N || gm >= M) continue;
        *reinterpret_cast<float4 *>(p.ws + (size_t)split * NM + (size_t)tok * M + gm) = sum_k_warps<C>(sC, n, r4);
    }
    __threadfence();  // partial visible device-wide before the counter says so
    __syncthreads();
    int *is_last = reinterpret_cast<int *>(smem + C::SMEM_BYTES);
    unsigned *counter = p.counters + blockIdx.y * gridDim.x + blockIdx.x;
    if (tid == 0) *is_last = atomicAdd(counter, 1u) == gridDim.z - 1;
    __syncthreads();
    if (!*is_last) return;
    __threadfence();  // acquire: the other slices' partials are visible now
    for (int i = tid; i < C::BN * (C::BM / 4); i += C::THREADS) {
        const int n = i / (C::BM / 4), r4 = (i % (C::BM / 4)) * 4;
        const int tok = n0 + n, gm = m0 + r4;
        if (tok >= N || gm >= M) continue;
        const size_t o = (size_t)tok * M + gm;
        float4 v = __ldcg(reinterpret_cast<const float4 *>(p.ws + o));  // L2, never a stale L1 line
        for (unsigned s = 1; s < gridDim.z; ++s) {
            const float4 u = __ldcg(reinterpret_cast<const float4 *>(p.ws + (size_t)s * NM + o));
            v.x += u.x;
            v.y += u.y;
            v.z += u.z;
            v.w += u.w;
        }
        store4(p.y, o, v, p.out_dtype);
    }
    if (tid == 0) *counter = 0;  // leave the workspace ready for the next call
}

// The instantiated configurations (see cuda/sp24_launch.cu for how they are chosen).
using SmallCfg8 = GemmConfig<64, 8, 256, 2, 1, 4, 4, 2>;
using SmallCfg16 = GemmConfig<64, 16, 256, 2, 1, 4, 4, 2>;
using SmallCfg32 = GemmConfig<64, 32, 256, 2, 1, 4, 4, 1>;
using SmallCfg64 = GemmConfig<64, 64, 256, 2, 1, 4, 3, 1>;
using LargeCfg = GemmConfig<128, 128, 64, 2, 4, 1, 4, 2>;
using WideCfg = GemmConfig<128, 256, 64, 2, 4, 1, 3, 1>;

}  // namespace sp24
}  // namespace spruce
