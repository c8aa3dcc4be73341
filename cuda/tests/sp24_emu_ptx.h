// Host emulation of the PTX wrappers in cuda/sp24_ptx.cuh, for cuda/tests/sp24_emu.cpp only.
//
// Each CUDA thread of a block runs as one std::thread; warp-collective instructions (ldmatrix, mma.sp)
// exchange operands through a per-warp barrier. mma.sp follows the fragment and metadata maps of research
// note §1.2 (hypothesis H0, which sp24_check's single-warp probe verifies on real hardware), so this
// emulation proves the kernels' index arithmetic (swizzles, stage/slab/k-step addressing, split-K,
// epilogue) independently of a GPU. It also checks every shared/global access for bounds and alignment,
// and every metadata nibble for legality. Uninitialised shared memory is NaN-filled by the driver so that
// reading a slot nobody wrote shows up in the result.
#pragma once

#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

namespace spruce_emu {

struct Dim3 {
    unsigned x = 0, y = 0, z = 0;
};

struct WarpExchange {
    std::barrier<> *bar = nullptr;
    uint32_t addr[32];
    uint32_t a[32][4], b[32][4], e[32];
};

struct BlockState {
    uint8_t *smem = nullptr;
    size_t smem_bytes = 0;
    std::barrier<> *bar = nullptr;
    WarpExchange *warps = nullptr;
};

struct Ctx {
    Dim3 thread_idx, block_idx, grid_dim, block_dim;
    BlockState *block = nullptr;
};

inline thread_local Ctx ctx;

// Global buffers the kernels may read (registered by the driver) for bounds checks.
struct Region {
    const uint8_t *p;
    size_t n;
};
inline std::vector<Region> &regions() {
    static std::vector<Region> r;
    return r;
}

[[noreturn]] inline void fail(const char *what, long long v) {
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    fprintf(stderr, "EMU FAILURE: %s (%lld) block (%u,%u,%u) thread %u\n", what, v, ctx.block_idx.x, ctx.block_idx.y,
            ctx.block_idx.z, ctx.thread_idx.x);
    std::_Exit(3);
}

inline void check_global(const void *src, size_t n) {
    const uint8_t *p = static_cast<const uint8_t *>(src);
    for (auto &r : regions())
        if (p >= r.p && p + n <= r.p + r.n) return;
    fail("global read outside every buffer", (long long)(uintptr_t)p);
}

inline void check_smem(uint32_t off, size_t n) {
    if ((size_t)off + n > ctx.block->smem_bytes) fail("shared access out of bounds", off);
}

inline void syncthreads() { ctx.block->bar->arrive_and_wait(); }

inline float bits_to_float(uint16_t u, bool bf16) {
    if (bf16) {
        uint32_t w = (uint32_t)u << 16;
        float f;
        memcpy(&f, &w, 4);
        return f;
    }
    // IEEE half -> float
    const uint32_t sign = (u >> 15) & 1, exp = (u >> 10) & 31, man = u & 1023;
    float f;
    if (exp == 0) f = std::ldexp((float)man, -24);
    else if (exp == 31) f = man ? NAN : INFINITY;
    else f = std::ldexp((float)(man | 1024), (int)exp - 25);
    return sign ? -f : f;
}

}  // namespace spruce_emu

#define threadIdx (::spruce_emu::ctx.thread_idx)
#define blockIdx (::spruce_emu::ctx.block_idx)
#define gridDim (::spruce_emu::ctx.grid_dim)
#define blockDim (::spruce_emu::ctx.block_dim)
#define __threadfence() std::atomic_thread_fence(std::memory_order_seq_cst)
#define __ldcg(p) (*(p))
inline unsigned atomicAdd(unsigned *p, unsigned v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
#undef __launch_bounds__
#define __launch_bounds__(...)
#define __syncthreads() ::spruce_emu::syncthreads()
#define SPRUCE_SP24_DYNAMIC_SMEM(name) uint8_t *name = ::spruce_emu::ctx.block->smem

namespace spruce {
namespace sp24 {

using std::max;
using std::min;

inline uint32_t smem_u32(const void *p) {
    return (uint32_t)(static_cast<const uint8_t *>(p) - spruce_emu::ctx.block->smem);
}

template <bool BF16, int SEL>
inline void mma_sp_16832(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[4], uint32_t e) {
    using namespace spruce_emu;
    const int lane = ctx.thread_idx.x & 31;
    WarpExchange &w = ctx.block->warps[ctx.thread_idx.x >> 5];
    for (int i = 0; i < 4; ++i) {
        w.a[lane][i] = a[i];
        w.b[lane][i] = b[i];
    }
    w.e[lane] = e;
    w.bar->arrive_and_wait();
    auto half = [](uint32_t reg, int hi) { return (uint16_t)(hi ? reg >> 16 : reg & 0xFFFF); };
    // Rebuild the logical 16x32 A and 32x8 B from all lanes (H0 maps).
    float A[16][32] = {};
    float B[32][8];
    for (int l = 0; l < 32; ++l) {
        const int g = l >> 2, t = l & 3;
        for (int j = 0; j < 4; ++j)
            for (int h = 0; h < 2; ++h) B[8 * j + 2 * t + h][g] = bits_to_float(half(w.b[l][j], h), BF16);
    }
    for (int r = 0; r < 16; ++r) {
        for (int ch = 0; ch < 8; ++ch) {  // logical chunk: k [4ch, 4ch+4)
            const int khalf = ch / 4;
            const uint32_t word = w.e[4 * (r % 8) + 2 * SEL + khalf];
            const uint32_t e16 = r < 8 ? (word & 0xFFFF) : (word >> 16);
            const int code = (e16 >> (4 * (ch % 4))) & 15;
            if (!(code == 4 || code == 8 || code == 9 || code == 12 || code == 13 || code == 14))
                fail("illegal metadata code reached mma.sp", code);
            const int i0 = code & 3, i1 = code >> 2;
            // compressed column of this chunk: 2ch, 2ch+1; lane (g,t) holds cols 2t,2t+1 (regs 0/1)
            // and 8+2t, 8+2t+1 (regs 2/3) of rows g (regs 0/2) and g+8 (regs 1/3).
            const int ccol = 2 * ch;
            const int t = (ccol % 8) / 2, reg = (ccol >= 8 ? 2 : 0) + (r >= 8 ? 1 : 0);
            const int l = 4 * (r % 8) + t;
            A[r][4 * ch + i0] = bits_to_float(half(w.a[l][reg], 0), BF16);
            A[r][4 * ch + i1] = bits_to_float(half(w.a[l][reg], 1), BF16);
        }
    }
    const int g = lane >> 2, t = lane & 3;
    for (int i = 0; i < 4; ++i) {
        const int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
        float s = 0;
        for (int k = 0; k < 32; ++k) s += A[row][k] * B[k][col];
        d[i] += s;
    }
    w.bar->arrive_and_wait();
}

inline void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
    using namespace spruce_emu;
    const int lane = ctx.thread_idx.x & 31;
    WarpExchange &w = ctx.block->warps[ctx.thread_idx.x >> 5];
    if (addr % 16) fail("ldmatrix address not 16-byte aligned", addr);
    check_smem(addr, 16);
    w.addr[lane] = addr;
    w.bar->arrive_and_wait();
    for (int i = 0; i < 4; ++i) {
        const uint32_t src = w.addr[8 * i + lane / 4] + 4 * (lane % 4);
        memcpy(&r[i], ctx.block->smem + src, 4);
    }
    w.bar->arrive_and_wait();
}

inline uint64_t l2_evict_first_policy() { return 0x1234; }

inline void cp_async16_evict_first(uint32_t dst, const void *src, uint64_t) {
    using namespace spruce_emu;
    if (dst % 16 || (uintptr_t)src % 16) fail("cp.async not 16-byte aligned", dst);
    check_smem(dst, 16);
    check_global(src, 16);
    memcpy(ctx.block->smem + dst, src, 16);
}

inline void cp_async16_zfill(uint32_t dst, const void *src, bool valid) {
    using namespace spruce_emu;
    if (dst % 16 || (uintptr_t)src % 16) fail("cp.async not 16-byte aligned", dst);
    check_smem(dst, 16);
    if (valid) {
        check_global(src, 16);
        memcpy(ctx.block->smem + dst, src, 16);
    } else {
        memset(ctx.block->smem + dst, 0, 16);
    }
}

inline void cp_async_commit() {}

template <int N>
inline void cp_async_wait() {}

}  // namespace sp24
}  // namespace spruce
