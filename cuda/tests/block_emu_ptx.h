// Host emulation of cuda/block_ptx.cuh (mma.sync m16n8k16 bf16), for cuda/tests/block_emu.cpp only. Built on the
// 2:4 emulator's warp exchange (sp24_emu_ptx.h, included first through sp24_ptx.cuh): every lane posts its
// fragments, the warp rebuilds the 16x16 A and 16x8 B tiles from the PTX ISA fragment maps, and each lane takes its
// four outputs. So block_emu.cpp checks the kernel's staging, swizzles, ldmatrix addressing and fragment use
// against a float64 reference without a GPU.
#pragma once

namespace spruce {
namespace block {

inline void mma_16816_bf16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    using namespace spruce_emu;
    const int lane = ctx.thread_idx.x & 31;
    WarpExchange &w = ctx.block->warps[ctx.thread_idx.x >> 5];
    for (int i = 0; i < 4; ++i) w.a[lane][i] = a[i];
    w.b[lane][0] = b0;
    w.b[lane][1] = b1;
    w.bar->arrive_and_wait();
    auto half = [](uint32_t reg, int hi) { return (uint16_t)(hi ? reg >> 16 : reg & 0xFFFF); };
    float A[16][16];
    float B[16][8];
    for (int l = 0; l < 32; ++l) {
        const int g = l >> 2, t = l & 3;
        for (int h = 0; h < 2; ++h) {
            A[g][2 * t + h] = bits_to_float(half(w.a[l][0], h), true);
            A[g + 8][2 * t + h] = bits_to_float(half(w.a[l][1], h), true);
            A[g][2 * t + 8 + h] = bits_to_float(half(w.a[l][2], h), true);
            A[g + 8][2 * t + 8 + h] = bits_to_float(half(w.a[l][3], h), true);
            B[2 * t + h][g] = bits_to_float(half(w.b[l][0], h), true);
            B[2 * t + 8 + h][g] = bits_to_float(half(w.b[l][1], h), true);
        }
    }
    const int g = lane >> 2, t = lane & 3;
    for (int i = 0; i < 4; ++i) {
        const int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
        float s = 0;
        for (int k = 0; k < 16; ++k) s += A[row][k] * B[k][col];
        d[i] += s;
    }
    w.bar->arrive_and_wait();
}

}  // namespace block
}  // namespace spruce
