// Thin inline-PTX wrappers used by the 2:4 kernels: mma.sp, ldmatrix, cp.async with L2 cache hints.
// Kept in one place so each instruction's operand order is written (and reviewed) once.
#pragma once

#include <cuda_runtime.h>
#include <stdint.h>

#ifdef SPRUCE_SP24_HOST_EMU
// cuda/tests/sp24_emu.cpp runs the kernels on CPU threads to check their index arithmetic; it supplies
// host versions of everything below (and of the dynamic shared memory base).
#include "tests/sp24_emu_ptx.h"
#else

// Dynamic shared memory of the block (one declaration point, so the host emulator can replace it).
#define SPRUCE_SP24_DYNAMIC_SMEM(name) extern __shared__ __align__(128) uint8_t name[]

namespace spruce {
namespace sp24 {

__device__ __forceinline__ uint32_t smem_u32(const void *p) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// D += A(16x32 logical, 2:4) * B(32x8). SEL picks the thread pair that supplies the metadata:
// 0 = lanes 4g+0/4g+1, 1 = lanes 4g+2/4g+3. It must be an immediate, hence the template.
// The ::ordered_metadata form needs every group's indices ordered i0 < i1 (the packer guarantees it).
// Not volatile: a pure register operation, so the compiler may interleave it with the next k-step's
// ldmatrix loads (which stay volatile: they read shared memory filled by cp.async behind a barrier).
template <bool BF16, int SEL>
__device__ __forceinline__ void mma_sp_16832(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[4],
                                             uint32_t e) {
    static_assert(SEL == 0 || SEL == 1, "selector is 0 or 1 for m16n8k32 16-bit types");
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    if constexpr (BF16) {
        asm(
            "mma.sp::ordered_metadata.sync.aligned.m16n8k32.row.col.f32.bf16.bf16.f32 "
            "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9,%10,%11}, {%0,%1,%2,%3}, %12, %13;\n"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(b[2]), "r"(b[3]), "r"(e),
              "n"(SEL));
    } else {
        asm(
            "mma.sp::ordered_metadata.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32 "
            "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9,%10,%11}, {%0,%1,%2,%3}, %12, %13;\n"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(b[2]), "r"(b[3]), "r"(e),
              "n"(SEL));
    }
#else
    __trap();  // never built: every target of this project is sm_80 or newer
#endif
}

// Four 8x8 b16 matrices; lanes 8i..8i+7 give the row addresses of matrix i, lane l receives
// row l/4, elements 2(l%4), 2(l%4)+1 of each matrix in r[0..3].
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}

// Weights and metadata are read exactly once per GEMM: tell L2 to evict them first so the
// activations (re-read by every row tile) stay resident.
__device__ __forceinline__ uint64_t l2_evict_first_policy() {
    uint64_t policy;
    asm volatile("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;\n" : "=l"(policy));
    return policy;
}

__device__ __forceinline__ void cp_async16_evict_first(uint32_t dst, const void *src, uint64_t policy) {
    asm volatile("cp.async.cg.shared.global.L2::cache_hint [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
                 "l"(policy));
}

// Copies 16 bytes, or writes 16 zero bytes when !valid (src-size 0: nothing is read from src).
__device__ __forceinline__ void cp_async16_zfill(uint32_t dst, const void *src, bool valid) {
    int src_size = valid ? 16 : 0;
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_size));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

}  // namespace sp24
}  // namespace spruce
#endif  // SPRUCE_SP24_HOST_EMU
