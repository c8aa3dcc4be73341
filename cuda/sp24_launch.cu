// Host launchers for the 2:4 sparse GEMM (see native/spruce_sp24.h for the contract).
//
// Kernel choice by batch (tokens N):
//   N <= 64 : "small" configs, BM=64 rows x BN=8/16/32/64 tokens x BK=256 logical K per stage, 8 warps
//             (2 along M, 4 along K), 4 cp.async stages (3 at BN=64). Weights are streamed once with
//             L2::evict_first; split-K over gridDim.z fills the 132 SMs even when M/64 is small.
//   64 < N < 512 : "large" config, BM=128 x BN=128 x BK=64, 8 warps (2 along M x 4 along N, warp tile
//             64x32), 4 stages, 2 blocks per SM;
//   N >= 512: "wide" config, BM=128 x BN=256 x BK=64, 8 warps (warp tile 64x64: fewer shared-memory bytes
//             per mma), 3 stages, 1 block per SM.
//   Split-K (choose_splits) only when the tile grid does not fill the machine in near-whole waves.
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>

#include "../native/spruce_sp24.h"
#include "sp24_gemm.cuh"

namespace spruce {
namespace sp24 {

namespace {

constexpr int kMaxDevices = 64;

struct DeviceInfo {
    int device = -1;
    int sms = 0;
    int major = 0;
};

// Per-device facts read once per thread (cheap, and a process may switch devices).
cudaError_t device_info(DeviceInfo &info) {
    thread_local DeviceInfo cached;
    int dev = 0;
    cudaError_t err = cudaGetDevice(&dev);
    if (err != cudaSuccess) return err;
    if (cached.device != dev) {
        DeviceInfo fresh;
        fresh.device = dev;
        if ((err = cudaDeviceGetAttribute(&fresh.sms, cudaDevAttrMultiProcessorCount, dev)) != cudaSuccess) return err;
        if ((err = cudaDeviceGetAttribute(&fresh.major, cudaDevAttrComputeCapabilityMajor, dev)) != cudaSuccess)
            return err;
        cached = fresh;
    }
    info = cached;
    return cudaSuccess;
}

struct Plan {
    int kernel = 0;  // 1..4 small (BN 8,16,32,64), 5 large
    int bm = 0, bn = 0, bk = 0;
    int splits = 1;
    int stages_total = 0, stages_per_split = 0;
    unsigned grid_x = 0, grid_y = 0;
};

int small_variant(int N) { return N <= 8 ? 1 : N <= 16 ? 2 : N <= 32 ? 3 : 4; }

// Tile shape and residency of each variant: 1-4 small (BN 8/16/32/64), 5 large, 6 wide.
struct VariantShape {
    int bm, bn, bk, blocks_per_sm;
};
template <class C>
constexpr VariantShape shape_of() {
    return {C::BM, C::BN, C::BK, C::MIN_BLOCKS};
}
VariantShape variant_shape(int v) {
    switch (v) {
        case 1: return shape_of<SmallCfg8>();
        case 2: return shape_of<SmallCfg16>();
        case 3: return shape_of<SmallCfg32>();
        case 4: return shape_of<SmallCfg64>();
        case 5: return shape_of<LargeCfg>();
        default: return shape_of<WideCfg>();
    }
}

// Split-K count: enough blocks to fill every resident slot, with little wave quantisation (a last,
// mostly empty wave costs as much as a full one). Streaming kernels are bound by bytes in flight, so a
// grid that is 97% of two full waves beats one that is 100% of one wave plus a 20% tail.
int choose_splits(long long tiles, int stages_total, long long slots) {
    if (tiles >= 4 * slots) return 1;
    const int max_splits = std::max(1, std::min(stages_total / 2, 32));  // >= 2 stages per block to overlap
    int best = 1;
    double best_eff = 0;
    for (int s = 1; s <= max_splits; ++s) {
        const int sps = (stages_total + s - 1) / s;
        const int eff_s = (stages_total + sps - 1) / sps;
        if (eff_s != s) continue;  // same grid as a smaller s
        const long long blocks = tiles * s;
        const long long waves = (blocks + slots - 1) / slots;
        const double eff = (double)blocks / (double)(waves * slots);
        if (eff >= 0.9) return s;
        if (eff > best_eff + 1e-9) {
            best_eff = eff;
            best = s;
        }
    }
    return best;
}

// Builds the launch plan. `sms` 0 means unknown (then 132, an H100/H200).
Plan make_plan(int M, int K, int N, int kernel, int splits, int sms) {
    Plan pl;
    if (kernel == SPRUCE_SP24_KERNEL_AUTO)
        kernel = N <= 64 ? SPRUCE_SP24_KERNEL_SMALL : N < 512 ? SPRUCE_SP24_KERNEL_LARGE : SPRUCE_SP24_KERNEL_WIDE;
    pl.kernel = kernel == SPRUCE_SP24_KERNEL_SMALL ? small_variant(N) : kernel == SPRUCE_SP24_KERNEL_LARGE ? 5 : 6;
    const VariantShape vs = variant_shape(pl.kernel);
    pl.bm = vs.bm;
    pl.bn = vs.bn;
    pl.bk = vs.bk;
    pl.grid_x = (unsigned)((M + pl.bm - 1) / pl.bm);
    pl.grid_y = (unsigned)((N + pl.bn - 1) / pl.bn);
    pl.stages_total = (K + pl.bk - 1) / pl.bk;
    if (splits <= 0) {
        const long long tiles = (long long)pl.grid_x * pl.grid_y;
        splits = choose_splits(tiles, pl.stages_total, (long long)(sms > 0 ? sms : 132) * vs.blocks_per_sm);
    }
    splits = std::max(1, std::min(splits, pl.stages_total));
    pl.stages_per_split = (pl.stages_total + splits - 1) / splits;
    pl.splits = (pl.stages_total + pl.stages_per_split - 1) / pl.stages_per_split;  // no empty slices
    return pl;
}

// Workspace layout for split-K: a fixed block of kMaxTileCounters arrival counters at offset 0, then the f32
// partials [splits][N][M]. The counters must sit at the same place for every call: a call leaves only its own
// counters zeroed, so a counter placed where an earlier call wrote partials would start from garbage.
constexpr size_t kMaxTileCounters = 16384;
constexpr size_t kCounterBytes = kMaxTileCounters * sizeof(unsigned);  // 64 KiB, a multiple of 16

size_t plan_workspace(const Plan &pl, int M, int N) {
    if (pl.splits <= 1) return 0;
    return kCounterBytes + (size_t)pl.splits * (size_t)N * (size_t)M * sizeof(float);
}

template <class C, bool BF16>
cudaError_t launch_cfg(const GemmArgs &args, const Plan &pl, cudaStream_t stream) {
    auto kern = sp24_gemm_kernel<C, BF16>;
    // Raising the dynamic shared memory limit is per function and device: do it once per device, so the
    // decode path (a ~10 us kernel) does not pay a driver call per launch. A benign race at worst repeats it.
    static bool raised[kMaxDevices] = {};
    if (args.device < 0 || args.device >= kMaxDevices || !raised[args.device]) {
        cudaError_t err = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_ALLOC);
        if (err != cudaSuccess) return err;
        if (args.device >= 0 && args.device < kMaxDevices) raised[args.device] = true;
    }
    dim3 grid(pl.grid_x, pl.grid_y, (unsigned)pl.splits);
    kern<<<grid, C::THREADS, C::SMEM_ALLOC, stream>>>(args);
    return cudaGetLastError();
}

template <bool BF16>
cudaError_t launch_variant(const GemmArgs &args, const Plan &pl, cudaStream_t stream) {
    switch (pl.kernel) {
        case 1: return launch_cfg<SmallCfg8, BF16>(args, pl, stream);
        case 2: return launch_cfg<SmallCfg16, BF16>(args, pl, stream);
        case 3: return launch_cfg<SmallCfg32, BF16>(args, pl, stream);
        case 4: return launch_cfg<SmallCfg64, BF16>(args, pl, stream);
        case 5: return launch_cfg<LargeCfg, BF16>(args, pl, stream);
        default: return launch_cfg<WideCfg, BF16>(args, pl, stream);
    }
}

bool aligned16(const void *p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

int validate(const void *values, const uint32_t *meta, const void *x, const void *y, int M, int K, int N,
             int in_dtype, int out_dtype) {
    if (!values || !meta || !x || !y) return SPRUCE_SP24_E_NULL;
    if (M <= 0 || K <= 0 || N <= 0 || M % 32 != 0 || K % 32 != 0) return SPRUCE_SP24_E_SHAPE;
    // Every index the kernels form is size_t, but grid.x/y and N*M element counts are checked here.
    if ((long long)N * (long long)std::max(M, K) > (long long)INT_MAX * 64) return SPRUCE_SP24_E_SHAPE;
    if (in_dtype != SPRUCE_SP24_BF16 && in_dtype != SPRUCE_SP24_F16) return SPRUCE_SP24_E_DTYPE;
    if (out_dtype != SPRUCE_SP24_F32 && out_dtype != SPRUCE_SP24_BF16 && out_dtype != SPRUCE_SP24_F16)
        return SPRUCE_SP24_E_DTYPE;
    if (!aligned16(values) || !aligned16(meta) || !aligned16(x) || !aligned16(y)) return SPRUCE_SP24_E_ALIGN;
    return SPRUCE_SP24_OK;
}

// Single warp: one mma.sp with raw registers, so a host test can try any fragment/lane hypothesis.
template <bool BF16>
__global__ void sp24_mma_probe_kernel(const uint32_t *a, const uint32_t *b, const uint32_t *e, float *d,
                                      int selector) {
    const int lane = threadIdx.x & 31;
    uint32_t ra[4], rb[4];
    for (int i = 0; i < 4; ++i) {
        ra[i] = a[lane * 4 + i];
        rb[i] = b[lane * 4 + i];
    }
    float acc[4] = {0.f, 0.f, 0.f, 0.f};
    if (selector == 0)
        mma_sp_16832<BF16, 0>(acc, ra, rb, e[lane]);
    else
        mma_sp_16832<BF16, 1>(acc, ra, rb, e[lane]);
    for (int i = 0; i < 4; ++i) d[lane * 4 + i] = acc[i];
}

}  // namespace
}  // namespace sp24
}  // namespace spruce

using namespace spruce::sp24;

extern "C" size_t spruce_sp24_workspace_bytes_ex(int M, int K, int N, int kernel, int splits) {
    if (M <= 0 || K <= 0 || N <= 0 || M % 32 != 0 || K % 32 != 0) return 0;
    DeviceInfo info;
    int sms = device_info(info) == cudaSuccess ? info.sms : 0;
    cudaGetLastError();  // a failed query must not leak into the caller's next status check
    const Plan pl = make_plan(M, K, N, kernel, splits, sms);
    if ((size_t)pl.grid_x * pl.grid_y > kMaxTileCounters) return 0;  // such a call runs without split-K
    return plan_workspace(pl, M, N);
}

extern "C" size_t spruce_sp24_workspace_bytes(int M, int K, int N) {
    return spruce_sp24_workspace_bytes_ex(M, K, N, SPRUCE_SP24_KERNEL_AUTO, 0);
}

extern "C" int spruce_sp24_gemm_ex(const void *values, const uint32_t *meta, const void *x, void *y, int M, int K,
                                   int N, int in_dtype, int out_dtype, void *workspace, size_t workspace_bytes,
                                   int kernel, int splits, void *stream_ptr) {
    cudaStream_t stream = static_cast<cudaStream_t>(stream_ptr);
    int st = validate(values, meta, x, y, M, K, N, in_dtype, out_dtype);
    if (st != SPRUCE_SP24_OK) return st;
    if (kernel < SPRUCE_SP24_KERNEL_AUTO || kernel > SPRUCE_SP24_KERNEL_WIDE || splits < 0)
        return SPRUCE_SP24_E_KERNEL;
    if (workspace && !aligned16(workspace)) return SPRUCE_SP24_E_ALIGN;
    DeviceInfo info;
    cudaError_t err = device_info(info);
    if (err != cudaSuccess) return (int)err;
    if (info.major < 8) return SPRUCE_SP24_E_DEVICE;

    Plan pl = make_plan(M, K, N, kernel, splits, info.sms);
    if (pl.splits > 1 && (workspace == nullptr || workspace_bytes < plan_workspace(pl, M, N) ||
                          (size_t)pl.grid_x * pl.grid_y > kMaxTileCounters)) {
        pl = make_plan(M, K, N, kernel, 1, info.sms);  // no room for partials: one slice, still exact
    }
    GemmArgs args;
    args.values = static_cast<const uint8_t *>(values);
    args.meta = meta;
    args.x = static_cast<const uint8_t *>(x);
    args.y = y;
    args.counters = pl.splits > 1 ? static_cast<unsigned *>(workspace) : nullptr;
    args.ws = pl.splits > 1 ? reinterpret_cast<float *>(static_cast<uint8_t *>(workspace) + kCounterBytes) : nullptr;
    args.M = M;
    args.K = K;
    args.N = N;
    args.out_dtype = out_dtype == SPRUCE_SP24_F32 ? kOutF32 : out_dtype == SPRUCE_SP24_BF16 ? kOutBf16 : kOutF16;
    args.stages_total = pl.stages_total;
    args.stages_per_split = pl.stages_per_split;
    args.device = info.device;

    err = in_dtype == SPRUCE_SP24_BF16 ? launch_variant<true>(args, pl, stream) : launch_variant<false>(args, pl, stream);
    if (err != cudaSuccess) return (int)err;
    return SPRUCE_SP24_OK;
}

extern "C" int spruce_sp24_gemm(const void *values, const uint32_t *meta, const void *x, void *y, int M, int K, int N,
                                int in_dtype, int out_dtype, void *workspace, size_t workspace_bytes,
                                void *stream) {
    return spruce_sp24_gemm_ex(values, meta, x, y, M, K, N, in_dtype, out_dtype, workspace, workspace_bytes,
                               SPRUCE_SP24_KERNEL_AUTO, 0, stream);
}

extern "C" int spruce_sp24_workspace_init(void *workspace, size_t workspace_bytes, void *stream) {
    if (!workspace) return SPRUCE_SP24_E_NULL;
    if (!aligned16(workspace)) return SPRUCE_SP24_E_ALIGN;
    return (int)cudaMemsetAsync(workspace, 0, workspace_bytes, static_cast<cudaStream_t>(stream));
}

extern "C" int spruce_sp24_mma_probe(const uint32_t *a, const uint32_t *b, const uint32_t *e, float *d, int selector,
                                     int dtype, void *stream_ptr) {
    cudaStream_t stream = static_cast<cudaStream_t>(stream_ptr);
    if (!a || !b || !e || !d) return SPRUCE_SP24_E_NULL;
    if (selector != 0 && selector != 1) return SPRUCE_SP24_E_KERNEL;
    if (dtype != SPRUCE_SP24_BF16 && dtype != SPRUCE_SP24_F16) return SPRUCE_SP24_E_DTYPE;
    DeviceInfo info;
    cudaError_t err = device_info(info);
    if (err != cudaSuccess) return (int)err;
    if (info.major < 8) return SPRUCE_SP24_E_DEVICE;
    if (dtype == SPRUCE_SP24_BF16)
        sp24_mma_probe_kernel<true><<<1, 32, 0, stream>>>(a, b, e, d, selector);
    else
        sp24_mma_probe_kernel<false><<<1, 32, 0, stream>>>(a, b, e, d, selector);
    return (int)cudaGetLastError();
}

extern "C" const char *spruce_sp24_status_string(int status) {
    switch (status) {
        case SPRUCE_SP24_OK: return "ok";
        case SPRUCE_SP24_E_NULL: return "a required device pointer is NULL";
        case SPRUCE_SP24_E_SHAPE: return "bad shape: need M % 32 == 0, K % 32 == 0, N >= 1";
        case SPRUCE_SP24_E_ALIGN: return "a device pointer is not 16-byte aligned";
        case SPRUCE_SP24_E_DTYPE: return "unsupported dtype: inputs bf16/f16, output f32/bf16/f16";
        case SPRUCE_SP24_E_KERNEL: return "unknown kernel id, selector or negative split count";
        case SPRUCE_SP24_E_DEVICE: return "no usable device: compute capability 8.0 or newer needed";
        default: return status > 0 ? cudaGetErrorString(static_cast<cudaError_t>(status)) : "unknown status";
    }
}
