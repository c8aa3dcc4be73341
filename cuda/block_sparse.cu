// Host launchers of the block-sparse GEMM (kernel in block_sparse.cuh, contract in native/spruce_block.h).
//
// Token tiling (automatic): the widest tile (128, 64 or 32 tokens) that still gives at least two CTAs per SM, so
// the machine is filled: 4096 rows (32 row groups) at batch 512 would be only 128 CTAs with 128-token tiles, fewer
// than an H200's 132 SMs, so it takes 64-token tiles (256 CTAs). N <= 32 always takes the 32-token tile. Grid =
// (row groups, token tiles). One kernel per (bh, bw) in {16, 32, 64}^2 and tiling: 27 instantiations.
#include <cuda_runtime.h>

#include <climits>

#include "../native/spruce_block.h"
#include "block_sparse.cuh"

namespace spruce {
namespace block {
namespace {

constexpr int kMaxDevices = 64;

static_assert(kRowsPerGroup == SPRUCE_BLOCK_GROUP_ROWS, "kernel and header agree on the group height");

template <class C>
cudaError_t launch_cfg(const BlockArgs &args, cudaStream_t stream) {
    auto kern = block_gemm_kernel<C>;
    int dev = 0;
    cudaError_t err = cudaGetDevice(&dev);
    if (err != cudaSuccess) return err;
    // The dynamic shared memory limit is raised once per function and device (a driver call per launch would cost
    // more than a small product); a benign race at worst repeats it.
    static bool raised[kMaxDevices] = {};
    if (dev < 0 || dev >= kMaxDevices || !raised[dev]) {
        err = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
        if (err != cudaSuccess) return err;
        if (dev >= 0 && dev < kMaxDevices) raised[dev] = true;
    }
    const unsigned groups = (unsigned)((args.M + C::BM - 1) / C::BM);
    const unsigned tiles = (unsigned)((args.N + C::BN - 1) / C::BN);
    kern<<<dim3(groups, tiles, 1), C::THREADS, C::SMEM_BYTES, stream>>>(args);
    return cudaGetLastError();
}

template <int BH, int BW>
cudaError_t launch_tiling(const BlockArgs &args, int kernel, cudaStream_t stream) {
    switch (kernel) {
        case SPRUCE_BLOCK_KERNEL_SMALL: return launch_cfg<SmallCfg<BH, BW>>(args, stream);
        case SPRUCE_BLOCK_KERNEL_MEDIUM: return launch_cfg<MediumCfg<BH, BW>>(args, stream);
        default: return launch_cfg<LargeCfg<BH, BW>>(args, stream);
    }
}

template <int BH>
cudaError_t launch_width(const BlockArgs &args, int bw, int kernel, cudaStream_t stream) {
    switch (bw) {
        case 16: return launch_tiling<BH, 16>(args, kernel, stream);
        case 32: return launch_tiling<BH, 32>(args, kernel, stream);
        default: return launch_tiling<BH, 64>(args, kernel, stream);
    }
}

// The widest token tile that still gives >= 2 CTAs per SM (N <= 32: always the 32-token tile).
int auto_kernel(int M, int N, int sms) {
    if (N <= 32) return SPRUCE_BLOCK_KERNEL_SMALL;
    const long long groups = (M + kRowsPerGroup - 1) / kRowsPerGroup;
    const long long want = 2LL * (sms > 0 ? sms : 132);
    if (groups * ((N + 127) / 128) >= want) return SPRUCE_BLOCK_KERNEL_LARGE;
    if (groups * ((N + 63) / 64) >= want / 2 || N <= 64) return SPRUCE_BLOCK_KERNEL_MEDIUM;
    return SPRUCE_BLOCK_KERNEL_SMALL;
}

bool aligned16(const void *p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }
bool block_size_ok(int b) { return b == 16 || b == 32 || b == 64; }

}  // namespace
}  // namespace block
}  // namespace spruce

using namespace spruce::block;

extern "C" int spruce_block_gemm_ex(const void *values, const int32_t *group_ptr, const int32_t *entry_col,
                                    const int32_t *entry_block, const void *x, float *y, int M, int K, int N, int bh,
                                    int bw, int kernel, void *stream) {
    if (!values || !group_ptr || !entry_col || !entry_block || !x || !y) return SPRUCE_BLOCK_E_NULL;
    if (!block_size_ok(bh) || !block_size_ok(bw)) return SPRUCE_BLOCK_E_BLOCK;
    if (M < 1 || K < 1 || N < 1 || M % bh != 0 || K % bw != 0) return SPRUCE_BLOCK_E_SHAPE;
    if ((long long)N * K > INT_MAX * 8LL || (long long)N * M > INT_MAX * 8LL) return SPRUCE_BLOCK_E_SHAPE;
    if (!aligned16(values) || !aligned16(x) || !aligned16(y)) return SPRUCE_BLOCK_E_ALIGN;
    if (kernel < SPRUCE_BLOCK_KERNEL_AUTO || kernel > SPRUCE_BLOCK_KERNEL_LARGE) return SPRUCE_BLOCK_E_KERNEL;
    int dev = 0, major = 0, sms = 0;
    cudaError_t err = cudaGetDevice(&dev);
    if (err != cudaSuccess) return (int)err;
    if ((err = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev)) != cudaSuccess) return (int)err;
    if (major < 8) return SPRUCE_BLOCK_E_DEVICE;
    if ((err = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev)) != cudaSuccess) return (int)err;
    if (kernel == SPRUCE_BLOCK_KERNEL_AUTO) kernel = auto_kernel(M, N, sms);
    BlockArgs args;
    args.values = static_cast<const uint8_t *>(values);
    args.group_ptr = group_ptr;
    args.entry_col = entry_col;
    args.entry_block = entry_block;
    args.x = static_cast<const uint8_t *>(x);
    args.y = y;
    args.M = M;
    args.K = K;
    args.N = N;
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    switch (bh) {
        case 16: err = launch_width<16>(args, bw, kernel, s); break;
        case 32: err = launch_width<32>(args, bw, kernel, s); break;
        default: err = launch_width<64>(args, bw, kernel, s); break;
    }
    return err == cudaSuccess ? SPRUCE_BLOCK_OK : (int)err;
}

extern "C" int spruce_block_gemm(const void *values, const int32_t *group_ptr, const int32_t *entry_col,
                                 const int32_t *entry_block, const void *x, float *y, int M, int K, int N, int bh,
                                 int bw, void *stream) {
    return spruce_block_gemm_ex(values, group_ptr, entry_col, entry_block, x, y, M, K, N, bh, bw,
                                SPRUCE_BLOCK_KERNEL_AUTO, stream);
}

extern "C" const char *spruce_block_status_string(int status) {
    switch (status) {
        case SPRUCE_BLOCK_OK: return "ok";
        case SPRUCE_BLOCK_E_NULL: return "a required device pointer is NULL";
        case SPRUCE_BLOCK_E_SHAPE: return "bad shape: need M % bh == 0, K % bw == 0, N >= 1";
        case SPRUCE_BLOCK_E_ALIGN: return "values, x or y is not 16-byte aligned";
        case SPRUCE_BLOCK_E_BLOCK: return "unsupported block size: bh and bw must each be 16, 32 or 64";
        case SPRUCE_BLOCK_E_KERNEL: return "unknown kernel id";
        case SPRUCE_BLOCK_E_DEVICE: return "no usable device: compute capability 8.0 or newer needed";
        default: return status > 0 ? cudaGetErrorString(static_cast<cudaError_t>(status)) : "unknown status";
    }
}
