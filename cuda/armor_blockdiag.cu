// Host launcher of the ARMOR block-diagonal product (contract in native/spruce_armor.h, kernel in
// armor_blockdiag.cuh). Arguments are checked here before anything is launched.
#include <cuda_runtime.h>

#include <climits>
#include <cstdint>

#include "../native/spruce_armor.h"
#include "armor_blockdiag.cuh"

using spruce::armor::BlockDiagArgs;

namespace {

bool aligned4(const void *p) { return (reinterpret_cast<uintptr_t>(p) & 3u) == 0; }

bool known_dtype(int d) { return d == SPRUCE_ARMOR_F32 || d == SPRUCE_ARMOR_BF16 || d == SPRUCE_ARMOR_F16; }

}  // namespace

extern "C" int spruce_armor_blockdiag(const float *blocks, const void *x, void *y, const float *bias, int n, int bs,
                                      int tokens, int in_dtype, int out_dtype, void *stream) {
    if (blocks == nullptr || x == nullptr || y == nullptr) return SPRUCE_ARMOR_E_NULL;
    if (n < 1 || bs < 1 || tokens < 1 || n % bs != 0) return SPRUCE_ARMOR_E_SHAPE;
    if ((long long)tokens * n > (long long)INT_MAX * 64) return SPRUCE_ARMOR_E_SHAPE;
    if (!known_dtype(in_dtype) || !known_dtype(out_dtype)) return SPRUCE_ARMOR_E_DTYPE;
    if (!aligned4(blocks) || !aligned4(x) || !aligned4(y) || (bias != nullptr && !aligned4(bias)))
        return SPRUCE_ARMOR_E_ALIGN;
    if (x == y) return SPRUCE_ARMOR_E_ALIAS;
    BlockDiagArgs a{};
    a.blocks = blocks;
    a.x = x;
    a.y = y;
    a.bias = bias;
    a.n = n;
    a.bs = bs;
    a.tokens = tokens;
    a.in_dtype = in_dtype;
    a.out_dtype = out_dtype;
    a.row_tiles = (bs + spruce::armor::TR - 1) / spruce::armor::TR;
    const long long gx = (long long)(n / bs) * a.row_tiles;
    const long long gy = ((long long)tokens + spruce::armor::TT - 1) / spruce::armor::TT;
    if (gx > INT_MAX || gy > 65535) return SPRUCE_ARMOR_E_SHAPE;
    spruce::armor::armor_blockdiag_kernel<<<dim3((unsigned)gx, (unsigned)gy), spruce::armor::THREADS,
                                            spruce::armor::SMEM_BYTES, static_cast<cudaStream_t>(stream)>>>(a);
    return (int)cudaGetLastError();
}

extern "C" const char *spruce_armor_status_string(int status) {
    switch (status) {
        case SPRUCE_ARMOR_OK: return "ok";
        case SPRUCE_ARMOR_E_NULL: return "a required pointer (blocks, x or y) is NULL";
        case SPRUCE_ARMOR_E_SHAPE: return "bad shape: n, bs and tokens must be >= 1, n a multiple of bs, sizes in range";
        case SPRUCE_ARMOR_E_ALIGN: return "a pointer is not 4-byte aligned";
        case SPRUCE_ARMOR_E_DTYPE: return "unknown dtype (0 = f32, 1 = bf16, 2 = f16)";
        case SPRUCE_ARMOR_E_ALIAS: return "x and y must be different buffers";
        default: return status > 0 ? cudaGetErrorString(static_cast<cudaError_t>(status)) : "unknown status";
    }
}
