// Inline-PTX wrapper of the dense tensor-core MMA the block-sparse GEMM uses (the cp.async, ldmatrix and
// shared-memory helpers come from sp24_ptx.cuh). Under SPRUCE_SP24_HOST_EMU the host emulation in
// tests/block_emu_ptx.h replaces it, so cuda/tests/block_emu.cpp can check the kernel's indexing on a CPU.
#pragma once

#include "sp24_ptx.cuh"

#ifdef SPRUCE_SP24_HOST_EMU
#include "tests/block_emu_ptx.h"
#else

namespace spruce {
namespace block {

// D += A(16x16, row) * B(16x8, col), bf16 in, f32 accumulate. Fragments (lane = 4g + t):
// a0 = A[g][2t..2t+1], a1 = A[g+8][2t..], a2 = A[g][2t+8..], a3 = A[g+8][2t+8..];
// b0 = B[2t..2t+1][g], b1 = B[2t+8..2t+9][g]; d0,d1 = D[g][2t, 2t+1], d2,d3 = D[g+8][2t, 2t+1].
__device__ __forceinline__ void mma_16816_bf16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
        "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
    __trap();  // never built: every target of this project is sm_80 or newer
#endif
}

}  // namespace block
}  // namespace spruce
#endif  // SPRUCE_SP24_HOST_EMU
