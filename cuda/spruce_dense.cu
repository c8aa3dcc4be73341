// Spruce's own dense GEMM (Y = X W^T, f32 activations, f32/bf16/f16 weights, f32 accumulation) and the
// element-wise helpers (type conversion, deterministic random fill) used by tests and benchmarks.
//
// The GEMM is a classic shared-memory tiled kernel: correctness and clarity first, it is the "our own
// code" dense reference on the GPU; cuBLAS is the fast dense baseline. Both operands are K-contiguous
// (W is M x K, X is N x K), so each tile load walks k and the tiles are stored k-major in shared memory
// so the inner product loop reads 4 consecutive m (or n) values as one float4.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "spruce_common.cuh"

namespace {

constexpr int BM = 64;      // weight rows (output features) per block
constexpr int BN = 64;      // tokens per block
constexpr int BK = 16;      // k per shared-memory stage
constexpr int THREADS = 256;  // 16 x 16 threads, each computing a 4 x 4 micro-tile
constexpr int PAD = 4;      // keeps float4 alignment while shifting rows across banks
static_assert(BM == BN && BM * BK == 4 * THREADS, "tile loader assumes 64 x 16 tiles and 256 threads");

template <typename T> __device__ __forceinline__ float to_f32(T v);
template <> __device__ __forceinline__ float to_f32<float>(float v) { return v; }
template <> __device__ __forceinline__ float to_f32<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }
template <> __device__ __forceinline__ float to_f32<__half>(__half v) { return __half2float(v); }

template <typename T> __device__ __forceinline__ T from_f32(float v);
template <> __device__ __forceinline__ float from_f32<float>(float v) { return v; }
template <> __device__ __forceinline__ __nv_bfloat16 from_f32<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <> __device__ __forceinline__ __half from_f32<__half>(float v) { return __float2half_rn(v); }

template <typename TW>
__global__ void __launch_bounds__(THREADS)
dense_gemm_tiled(const TW* __restrict__ w, const float* __restrict__ x, float* __restrict__ y, int n, int m, int k) {
    __shared__ __align__(16) float ws[BK][BM + PAD];
    __shared__ __align__(16) float xs[BK][BN + PAD];

    const int tid = threadIdx.x;
    const int tx = tid % 16;  // picks 4 output features
    const int ty = tid / 16;  // picks 4 tokens
    const int m0 = blockIdx.x * BM;
    const int n0 = blockIdx.y * BN;

    float acc[4][4] = {};
    for (int kb = 0; kb < k; kb += BK) {
        // Tile load: element e of the 64 x 16 tile is row e / 16, k e % 16, so 16 consecutive threads read
        // 16 consecutive k of one row (coalesced); 4 rounds of 256 threads cover the 1024 elements.
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int e = tid + i * THREADS;
            const int r = e / BK;
            const int kk = e % BK;
            const int gk = kb + kk;
            const int gm = m0 + r;
            const int gn = n0 + r;
            ws[kk][r] = (gm < m && gk < k) ? to_f32(w[(size_t)gm * k + gk]) : 0.0f;
            xs[kk][r] = (gn < n && gk < k) ? x[(size_t)gn * k + gk] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            const float4 a = *reinterpret_cast<const float4*>(&ws[kk][tx * 4]);
            const float4 b = *reinterpret_cast<const float4*>(&xs[kk][ty * 4]);
            const float av[4] = {a.x, a.y, a.z, a.w};
            const float bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
            for (int j = 0; j < 4; ++j)
#pragma unroll
                for (int i = 0; i < 4; ++i) acc[j][i] = fmaf(bv[j], av[i], acc[j][i]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        const int gn = n0 + ty * 4 + j;
        if (gn >= n) continue;
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int gm = m0 + tx * 4 + i;
            if (gm < m) y[(size_t)gn * m + gm] = acc[j][i];
        }
    }
}

template <typename TD, typename TS>
__global__ void convert_kernel(TD* __restrict__ dst, const TS* __restrict__ src, size_t count) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count; i += (size_t)gridDim.x * blockDim.x) {
        dst[i] = from_f32<TD>(to_f32(src[i]));
    }
}

// splitmix64 finalizer: a good 64-bit mix, so (seed, index) -> independent-looking uniform bits.
__device__ __forceinline__ unsigned long long mix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

template <typename T>
__global__ void fill_uniform_kernel(T* __restrict__ dst, size_t count, unsigned long long seed, float scale) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count; i += (size_t)gridDim.x * blockDim.x) {
        const unsigned long long r = mix64(seed * 0x9e3779b97f4a7c15ULL + i);
        const float u = (float)(r >> 40) * (1.0f / 16777216.0f);  // 24 bits -> [0, 1)
        dst[i] = from_f32<T>((2.0f * u - 1.0f) * scale);
    }
}

int grid_for(size_t count) {
    size_t blocks = (count + 255) / 256;
    return (int)(blocks < 65536 ? (blocks == 0 ? 1 : blocks) : 65536);
}

bool valid_type(int t) { return t == SPRUCE_F32 || t == SPRUCE_BF16 || t == SPRUCE_F16; }

template <typename TD>
int convert_from(TD* dst, const void* src, int src_type, size_t count, cudaStream_t s) {
    const int g = grid_for(count);
    switch (src_type) {
        case SPRUCE_F32: convert_kernel<<<g, 256, 0, s>>>(dst, (const float*)src, count); break;
        case SPRUCE_BF16: convert_kernel<<<g, 256, 0, s>>>(dst, (const __nv_bfloat16*)src, count); break;
        default: convert_kernel<<<g, 256, 0, s>>>(dst, (const __half*)src, count); break;
    }
    return spruce_launch_status("convert_kernel");
}

}  // namespace

extern "C" int spruce_dense_gemm(int w_type, const void* w, const float* x, float* y, int n, int m, int k,
                                 void* stream) {
    if (!valid_type(w_type)) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_dense_gemm: bad weight type %d", w_type);
    if (n <= 0 || m <= 0 || k <= 0)
        return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_dense_gemm: bad shape n=%d m=%d k=%d", n, m, k);
    if (!w || !x || !y) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_dense_gemm: null pointer");
    const dim3 grid((m + BM - 1) / BM, (n + BN - 1) / BN);
    if (grid.y > 65535) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_dense_gemm: n=%d too large", n);
    cudaStream_t s = (cudaStream_t)stream;
    switch (w_type) {
        case SPRUCE_F32: dense_gemm_tiled<float><<<grid, THREADS, 0, s>>>((const float*)w, x, y, n, m, k); break;
        case SPRUCE_BF16:
            dense_gemm_tiled<__nv_bfloat16><<<grid, THREADS, 0, s>>>((const __nv_bfloat16*)w, x, y, n, m, k);
            break;
        default: dense_gemm_tiled<__half><<<grid, THREADS, 0, s>>>((const __half*)w, x, y, n, m, k); break;
    }
    return spruce_launch_status("dense_gemm_tiled");
}

extern "C" int spruce_convert(void* dst, int dst_type, const void* src, int src_type, size_t count, void* stream) {
    if (!valid_type(dst_type) || !valid_type(src_type))
        return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_convert: bad type %d -> %d", src_type, dst_type);
    if (count == 0) return 0;
    if (!dst || !src) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_convert: null pointer");
    cudaStream_t s = (cudaStream_t)stream;
    switch (dst_type) {
        case SPRUCE_F32: return convert_from((float*)dst, src, src_type, count, s);
        case SPRUCE_BF16: return convert_from((__nv_bfloat16*)dst, src, src_type, count, s);
        default: return convert_from((__half*)dst, src, src_type, count, s);
    }
}

extern "C" int spruce_fill_uniform(void* dst, int type, size_t count, unsigned long long seed, float scale,
                                   void* stream) {
    if (!valid_type(type)) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_fill_uniform: bad type %d", type);
    if (count == 0) return 0;
    if (!dst) return spruce_fail(SPRUCE_E_INVALID_ARGUMENT, "spruce_fill_uniform: null pointer");
    cudaStream_t s = (cudaStream_t)stream;
    const int g = grid_for(count);
    switch (type) {
        case SPRUCE_F32: fill_uniform_kernel<<<g, 256, 0, s>>>((float*)dst, count, seed, scale); break;
        case SPRUCE_BF16: fill_uniform_kernel<<<g, 256, 0, s>>>((__nv_bfloat16*)dst, count, seed, scale); break;
        default: fill_uniform_kernel<<<g, 256, 0, s>>>((__half*)dst, count, seed, scale); break;
    }
    return spruce_launch_status("fill_uniform_kernel");
}
