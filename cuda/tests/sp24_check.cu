// sp24_check: standalone proof of the Spruce 2:4 sparse GEMM kernels on a GPU, without Java.
//
//  1. host self-tests (no GPU): the GPU-order metadata packer against an independent implementation of
//     CUTLASS SM80 reorder_meta + ColumnMajorInterleaved<2>, and a pack -> unpack round trip;
//  2. single-warp mma.sp probe: all six metadata codes, both selectors, bf16 and f16, against the lane
//     maps of research note §1.2 (and alternative maps, to say which one the hardware follows if not);
//  3. GEMM correctness: every kernel path against a float64 reference (host, on sampled tokens) and a
//     device reference (double accumulation over the dense weights, on every element), outputs poisoned
//     with NaN before each run; random shapes and the standard shapes at batch 1..2048;
//  4. timing: sp24 vs cuBLAS dense bf16 (cublasGemmEx via dlopen, so no cuBLAS is needed to build).
// Prints a table last and writes JSON. Exit code: 0 all checks passed, 1 a check failed, 2 setup error.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <library_types.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../../native/spruce_sp24.h"

// ---------------------------------------------------------------------------------------------------
// small utilities

static int g_failures = 0;
static std::string g_json_checks;  // comma-separated JSON objects
static std::string g_json_bench;

static void json_append(std::string &dst, const std::string &obj) {
    if (!dst.empty()) dst += ",\n";
    dst += obj;
}

static std::string strf(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

// JSON has no NaN/Infinity: write null for them.
static std::string jnum(double v, const char *fmt = "%.4g") {
    return std::isfinite(v) ? strf(fmt, v) : std::string("null");
}

static double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

#define CUDA_OK(call)                                                                                \
    do {                                                                                             \
        cudaError_t e_ = (call);                                                                     \
        if (e_ != cudaSuccess) {                                                                     \
            fprintf(stderr, "CUDA error %d (%s) at %s:%d in %s\n", (int)e_, cudaGetErrorString(e_), __FILE__, \
                    __LINE__, #call);                                                                \
            exit(2);                                                                                 \
        }                                                                                            \
    } while (0)

struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
    uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }  // [0,1)
    int below(int n) { return (int)(next() % (uint64_t)n); }
};

static uint16_t to_bits(float f, bool bf16) {
    if (bf16) {
        __nv_bfloat16 h = __float2bfloat16(f);
        uint16_t u;
        memcpy(&u, &h, 2);
        return u;
    }
    __half h = __float2half(f);
    uint16_t u;
    memcpy(&u, &h, 2);
    return u;
}

static float from_bits(uint16_t u, bool bf16) {
    if (bf16) {
        __nv_bfloat16 h;
        memcpy(&h, &u, 2);
        return __bfloat162float(h);
    }
    __half h;
    memcpy(&h, &u, 2);
    return __half2float(h);
}

static const int kCodes[6] = {0x4, 0x8, 0x9, 0xC, 0xD, 0xE};

// ---------------------------------------------------------------------------------------------------
// 2:4 weights on the host: generation, GPU-order packing, unpacking

struct Sparse24Host {
    int M = 0, K = 0;
    bool bf16 = true;
    std::vector<uint16_t> dense;   // M x K, exact 16-bit values (zeros where pruned)
    std::vector<uint16_t> values;  // M x K/2
    std::vector<uint16_t> e16;     // M x K/16 logical metadata (row-major), for the CUTLASS cross-check
    std::vector<uint32_t> meta;    // GPU order: [M/32][K/32][32]
};

// Random 2:4 matrix: every group keeps a random legal pair; ~1/16 of kept values are exact zeros so the
// "fewer than two non-zeros, explicit zero" case is covered too.
static Sparse24Host make_sparse(int M, int K, bool bf16, uint64_t seed) {
    Sparse24Host w;
    w.M = M;
    w.K = K;
    w.bf16 = bf16;
    w.dense.assign((size_t)M * K, 0);
    w.values.assign((size_t)M * K / 2, 0);
    w.e16.assign((size_t)M * K / 16, 0);
    Rng rng(seed);
    for (int r = 0; r < M; ++r) {
        for (int j = 0; j < K / 4; ++j) {
            const uint64_t bits = rng.next();
            const int code = kCodes[bits % 6];
            const int i0 = code & 3, i1 = code >> 2;
            float v0 = (float)(((bits >> 8) & 0xFFFF) / 65536.0 * 2.0 - 1.0);
            float v1 = (float)(((bits >> 24) & 0xFFFF) / 65536.0 * 2.0 - 1.0);
            if (((bits >> 40) & 15) == 0) v0 = 0.f;
            if (((bits >> 44) & 15) == 0) v1 = 0.f;
            const uint16_t b0 = to_bits(v0, bf16), b1 = to_bits(v1, bf16);
            w.dense[(size_t)r * K + 4 * j + i0] = b0;
            w.dense[(size_t)r * K + 4 * j + i1] = b1;
            w.values[(size_t)r * (K / 2) + 2 * j] = b0;
            w.values[(size_t)r * (K / 2) + 2 * j + 1] = b1;
            w.e16[(size_t)r * (K / 16) + j / 4] |= (uint16_t)(code << (4 * (j % 4)));
        }
    }
    // GPU order (research note §1.5(e)): word(slab=r/32, kstep=j/8, lane=4(r%8) + 2((r%32)/16) + (j/4)%2),
    // rows r%16 < 8 in the low half-word, r%16 >= 8 in the high half-word.
    w.meta.assign((size_t)M * K / 32, 0);
    for (int r = 0; r < M; ++r)
        for (int q = 0; q < K / 16; ++q) {  // q = j/4: one 16-bit word per 16 logical K
            const int slab = r / 32, kstep = q / 2;
            const int lane = 4 * (r % 8) + 2 * ((r % 32) / 16) + (q % 2);
            const size_t idx = ((size_t)slab * (K / 32) + kstep) * 32 + lane;
            const uint32_t half = w.e16[(size_t)r * (K / 16) + q];
            w.meta[idx] |= (r % 16) < 8 ? half : (half << 16);
        }
    return w;
}

// Inverse of the packer: values + GPU-order metadata back to a dense matrix.
static std::vector<uint16_t> unpack(const Sparse24Host &w) {
    const int M = w.M, K = w.K;
    std::vector<uint16_t> d((size_t)M * K, 0);
    for (int r = 0; r < M; ++r)
        for (int j = 0; j < K / 4; ++j) {
            const int q = j / 4;
            const size_t idx = ((size_t)(r / 32) * (K / 32) + q / 2) * 32 + 4 * (r % 8) + 2 * ((r % 32) / 16) + (q % 2);
            const uint32_t word = w.meta[idx];
            const uint32_t half = (r % 16) < 8 ? (word & 0xFFFF) : (word >> 16);
            const int code = (half >> (4 * (j % 4))) & 15;
            const int i0 = code & 3, i1 = code >> 2;
            d[(size_t)r * K + 4 * j + i0] = w.values[(size_t)r * (K / 2) + 2 * j];
            d[(size_t)r * K + 4 * j + i1] = w.values[(size_t)r * (K / 2) + 2 * j + 1];
        }
    return d;
}

// Independent CUTLASS SM80 layout (tools/util host_reorder.h reorder_meta, then ColumnMajorInterleaved<2>),
// written from the note's description of the formulas: returns the 16-bit E array as CUTLASS stores it.
static std::vector<uint16_t> cutlass_layout(const Sparse24Host &w) {
    const int M = w.M, KE = w.K / 16;
    std::vector<uint16_t> reordered((size_t)M * KE);
    // 1. row permutation inside 32-row groups, element (m, k) -> (dest_row, k)
    std::vector<int> dst_row(M);
    for (int m = 0; m < M; ++m) dst_row[m] = (m / 32) * 32 + (m % 8) * 4 + (m % 32) / 8;
    std::vector<uint16_t> tmp((size_t)M * KE);
    for (int m = 0; m < M; ++m)
        for (int k = 0; k < KE; ++k) tmp[(size_t)dst_row[m] * KE + k] = w.e16[(size_t)m * KE + k];
    // 2. "Z to N": (even row, odd col) trades places with (odd row, even col) of its 2x2 block
    for (int r = 0; r < M; r += 2)
        for (int c = 0; c < KE; c += 2) std::swap(tmp[(size_t)r * KE + c + 1], tmp[(size_t)(r + 1) * KE + c]);
    // 3. ColumnMajorInterleaved<2>: element (r, c) at (c/2)*2M + 2r + c%2
    for (int r = 0; r < M; ++r)
        for (int c = 0; c < KE; ++c) reordered[(size_t)(c / 2) * 2 * M + 2 * r + (c % 2)] = tmp[(size_t)r * KE + c];
    return reordered;
}

static bool host_selftests() {
    bool ok = true;
    const int shapes[][2] = {{32, 32}, {64, 128}, {128, 128}, {96, 224}, {256, 64}};
    for (auto &s : shapes) {
        const int M = s[0], K = s[1];
        Sparse24Host w = make_sparse(M, K, true, 1000 + M + K);
        // round trip
        std::vector<uint16_t> d = unpack(w);
        const bool rt = d == w.dense;
        // CUTLASS placement: 32-bit word cp*M + 32b + lane == GPU-order word[b][cp][lane]
        std::vector<uint16_t> cl = cutlass_layout(w);
        bool same = true;
        for (int b = 0; b < M / 32 && same; ++b)
            for (int cp = 0; cp < K / 32 && same; ++cp)
                for (int lane = 0; lane < 32; ++lane) {
                    const size_t ci = (size_t)cp * M + 32 * b + lane;
                    const uint32_t cw = (uint32_t)cl[2 * ci] | ((uint32_t)cl[2 * ci + 1] << 16);
                    if (cw != w.meta[((size_t)b * (K / 32) + cp) * 32 + lane]) {
                        same = false;
                        break;
                    }
                }
        // every nibble legal
        bool legal = true;
        for (uint32_t word : w.meta)
            for (int n = 0; n < 8; ++n) {
                const int c = (word >> (4 * n)) & 15;
                legal &= (c == 4 || c == 8 || c == 9 || c == 12 || c == 13 || c == 14);
            }
        printf("[host] %4dx%-4d round-trip %s, CUTLASS SM80 word placement %s, codes legal %s\n", M, K,
               rt ? "ok" : "FAIL", same ? "identical" : "DIFFERENT", legal ? "yes" : "NO");
        json_append(g_json_checks, strf("{\"check\":\"host_layout\",\"M\":%d,\"K\":%d,\"roundtrip\":%s,"
                                        "\"cutlass_identical\":%s,\"codes_legal\":%s}",
                                        M, K, rt ? "true" : "false", same ? "true" : "false",
                                        legal ? "true" : "false"));
        ok &= rt && same && legal;
    }
    return ok;
}

// ---------------------------------------------------------------------------------------------------
// single-warp probe of mma.sp m16n8k32: settle the fragment / metadata lane maps

// Fragment hypotheses. H0 is the one the GEMM kernels rely on (note §1.2 + §1.5):
//   A: reg0 = row g, compressed cols 2t,2t+1; reg1 = row g+8; reg2 = row g, cols 8+2t..; reg3 = row g+8
//   B: reg j = B[k = 8j+2t, 8j+2t+1][n = g]
//   E: lane 4g+2s+h (s = selector): low16 = row g, high16 = row g+8, logical K half h
//   D: d0,d1 = (row g, cols 2t, 2t+1), d2,d3 = (row g+8, ...)
// The alternatives change one piece each, so a failing H0 with a passing Hx says which piece is off.
enum Hyp { H0 = 0, H_META_ROWS_SWAPPED, H_META_HALF_IS_K, H_A_REGS_1_2_SWAPPED, H_COUNT };
static const char *kHypName[H_COUNT] = {"H0 (note 1.2/1.5, used by kernels)", "meta rows g/g+8 swapped",
                                        "meta: lane pair = rows, half-words = K halves", "A regs 1/2 swapped"};

struct ProbeCase {
    float A[16][32];  // logical 2:4 A
    float B[32][8];
    int code[16][8];  // per row, per 4-group
};

static void build_fragments(const ProbeCase &pc, Hyp hyp, int sel, bool bf16, uint32_t a[32][4], uint32_t b[32][4],
                            uint32_t e[32]) {
    // compressed A (16 x 16)
    float Ac[16][16];
    uint16_t E16[16][2];
    for (int r = 0; r < 16; ++r) {
        E16[r][0] = E16[r][1] = 0;
        for (int j = 0; j < 8; ++j) {
            const int c = pc.code[r][j];
            Ac[r][2 * j] = pc.A[r][4 * j + (c & 3)];
            Ac[r][2 * j + 1] = pc.A[r][4 * j + (c >> 2)];
            E16[r][j / 4] |= (uint16_t)(c << (4 * (j % 4)));
        }
    }
    auto pk = [&](float lo, float hi) {
        return (uint32_t)to_bits(lo, bf16) | ((uint32_t)to_bits(hi, bf16) << 16);
    };
    for (int lane = 0; lane < 32; ++lane) {
        const int g = lane >> 2, t = lane & 3;
        uint32_t r0 = pk(Ac[g][2 * t], Ac[g][2 * t + 1]);
        uint32_t r1 = pk(Ac[g + 8][2 * t], Ac[g + 8][2 * t + 1]);
        uint32_t r2 = pk(Ac[g][8 + 2 * t], Ac[g][8 + 2 * t + 1]);
        uint32_t r3 = pk(Ac[g + 8][8 + 2 * t], Ac[g + 8][8 + 2 * t + 1]);
        if (hyp == H_A_REGS_1_2_SWAPPED) std::swap(r1, r2);
        a[lane][0] = r0;
        a[lane][1] = r1;
        a[lane][2] = r2;
        a[lane][3] = r3;
        for (int j = 0; j < 4; ++j) b[lane][j] = pk(pc.B[8 * j + 2 * t][g], pc.B[8 * j + 2 * t + 1][g]);
        // Lanes not named by the selector get a legal but wrong pattern: if the hardware read them the
        // result would change, so a pass also proves which thread pair the selector picks.
        const int decoy_code = pc.code[0][0] == 0x4 ? 0xE : 0x4;
        uint32_t decoy = 0;
        for (int n = 0; n < 8; ++n) decoy |= (uint32_t)decoy_code << (4 * n);
        uint32_t word = decoy;
        if ((t >> 1) == sel) {
            const int h = t & 1;
            switch (hyp) {
                case H_META_ROWS_SWAPPED: word = (uint32_t)E16[g + 8][h] | ((uint32_t)E16[g][h] << 16); break;
                case H_META_HALF_IS_K: {
                    const int row = h ? g + 8 : g;
                    word = (uint32_t)E16[row][0] | ((uint32_t)E16[row][1] << 16);
                    break;
                }
                default: word = (uint32_t)E16[g][h] | ((uint32_t)E16[g + 8][h] << 16); break;
            }
        }
        e[lane] = word;
    }
}

struct ProbeBuffers {
    uint32_t *a = nullptr, *b = nullptr, *e = nullptr;
    float *d = nullptr;
};

// Returns max |D - ref| for one (case, hypothesis, selector, dtype); values are small integers so exact.
static double run_probe(ProbeBuffers &pb, const ProbeCase &pc, Hyp hyp, int sel, bool bf16) {
    uint32_t a[32][4], b[32][4], e[32];
    build_fragments(pc, hyp, sel, bf16, a, b, e);
    CUDA_OK(cudaMemcpy(pb.a, a, sizeof a, cudaMemcpyHostToDevice));
    CUDA_OK(cudaMemcpy(pb.b, b, sizeof b, cudaMemcpyHostToDevice));
    CUDA_OK(cudaMemcpy(pb.e, e, sizeof e, cudaMemcpyHostToDevice));
    CUDA_OK(cudaMemset(pb.d, 0xFF, 32 * 4 * sizeof(float)));
    const int st = spruce_sp24_mma_probe(pb.a, pb.b, pb.e, pb.d, sel, bf16 ? SPRUCE_SP24_BF16 : SPRUCE_SP24_F16, 0);
    if (st != 0) {
        fprintf(stderr, "spruce_sp24_mma_probe: %s\n", spruce_sp24_status_string(st));
        exit(2);
    }
    CUDA_OK(cudaDeviceSynchronize());
    float d[32][4];
    CUDA_OK(cudaMemcpy(d, pb.d, sizeof d, cudaMemcpyDeviceToHost));
    double worst = 0;
    for (int lane = 0; lane < 32; ++lane) {
        const int g = lane >> 2, t = lane & 3;
        for (int i = 0; i < 4; ++i) {
            const int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
            double ref = 0;
            for (int k = 0; k < 32; ++k) ref += (double)pc.A[row][k] * pc.B[k][col];
            const double diff = std::isnan(d[lane][i]) ? INFINITY : std::fabs(d[lane][i] - ref);
            worst = std::max(worst, diff);
        }
    }
    return worst;
}

static ProbeCase make_probe_case(int fixed_code, uint64_t seed) {
    ProbeCase pc;
    Rng rng(seed);
    memset(pc.A, 0, sizeof pc.A);
    for (int r = 0; r < 16; ++r)
        for (int j = 0; j < 8; ++j) {
            const int c = fixed_code ? fixed_code : kCodes[rng.below(6)];
            pc.code[r][j] = c;
            // small non-zero integers: every product and sum is exact in bf16/f16 and f32
            pc.A[r][4 * j + (c & 3)] = (float)(rng.below(7) + 1) * (rng.below(2) ? 1 : -1);
            pc.A[r][4 * j + (c >> 2)] = (float)(rng.below(7) + 1) * (rng.below(2) ? 1 : -1);
        }
    for (int k = 0; k < 32; ++k)
        for (int n = 0; n < 8; ++n) pc.B[k][n] = (float)(rng.below(9) - 4);
    return pc;
}

static bool probe_tests() {
    ProbeBuffers pb;
    CUDA_OK(cudaMalloc(&pb.a, 32 * 4 * 4));
    CUDA_OK(cudaMalloc(&pb.b, 32 * 4 * 4));
    CUDA_OK(cudaMalloc(&pb.e, 32 * 4));
    CUDA_OK(cudaMalloc(&pb.d, 32 * 4 * 4));
    bool all_h0 = true;
    int hyp_pass[H_COUNT] = {0};
    int total = 0;
    for (int dt = 0; dt < 2; ++dt) {
        const bool bf16 = dt == 0;
        for (int ci = 0; ci <= 6; ++ci) {  // six fixed codes, then random codes per group
            const int code = ci < 6 ? kCodes[ci] : 0;
            ProbeCase pc = make_probe_case(code, 77 + ci * 13 + dt);
            for (int sel = 0; sel < 2; ++sel) {
                double err[H_COUNT];
                for (int h = 0; h < H_COUNT; ++h) {
                    err[h] = run_probe(pb, pc, (Hyp)h, sel, bf16);
                    if (err[h] == 0) ++hyp_pass[h];
                }
                ++total;
                const bool ok = err[H0] == 0;
                all_h0 &= ok;
                printf("[mma probe] %s code %-6s sel %d: H0 %s (max err %.3g)", bf16 ? "bf16" : "f16 ",
                       code ? strf("0x%X", code).c_str() : "mixed", sel, ok ? "PASS" : "FAIL", err[H0]);
                if (!ok) {
                    printf("  alternatives:");
                    for (int h = 1; h < H_COUNT; ++h) printf(" [%s: %s]", kHypName[h], err[h] == 0 ? "match" : "no");
                }
                printf("\n");
                json_append(g_json_checks,
                            strf("{\"check\":\"mma_probe\",\"dtype\":\"%s\",\"code\":%d,\"selector\":%d,"
                                 "\"h0_max_err\":%s,\"pass\":%s}",
                                 bf16 ? "bf16" : "f16", code, sel, jnum(err[H0]).c_str(), ok ? "true" : "false"));
            }
        }
    }
    printf("[mma probe] hypothesis tally over %d cases:", total);
    for (int h = 0; h < H_COUNT; ++h) printf(" [%s: %d]", kHypName[h], hyp_pass[h]);
    printf("\n");
    cudaFree(pb.a);
    cudaFree(pb.b);
    cudaFree(pb.e);
    cudaFree(pb.d);
    return all_h0;
}

// ---------------------------------------------------------------------------------------------------
// device reference: Y[n][m] = sum_k W[m][k] X[n][k] in double over the dense 16-bit weights

template <bool BF16>
__device__ __forceinline__ double ld16(const uint16_t *p) {
    if constexpr (BF16) {
        return (double)__bfloat162float(*reinterpret_cast<const __nv_bfloat16 *>(p));
    } else {
        return (double)__half2float(*reinterpret_cast<const __half *>(p));
    }
}

template <bool BF16>
__global__ void ref_gemm_kernel(const uint16_t *__restrict__ w, const uint16_t *__restrict__ x, double *__restrict__ y,
                                int M, int K, int N) {
    // 32 rows of W x 8 tokens per block, K walked in 32-wide tiles through shared memory.
    __shared__ double sw[32][33];
    __shared__ double sx[8][33];
    const int tx = threadIdx.x & 31, ty = threadIdx.x >> 5;  // 256 threads: 32 x 8
    const int m = blockIdx.x * 32 + tx, n = blockIdx.y * 8 + ty;
    double acc = 0;
    for (int k0 = 0; k0 < K; k0 += 32) {
        for (int i = threadIdx.x; i < 32 * 32; i += 256) {
            const int r = i / 32, c = i % 32;
            const int gm = blockIdx.x * 32 + r;
            sw[r][c] = gm < M ? ld16<BF16>(w + (size_t)gm * K + k0 + c) : 0.0;
        }
        {
            const int r = threadIdx.x / 32, c = threadIdx.x % 32;
            const int gn = blockIdx.y * 8 + r;
            sx[r][c] = gn < N ? ld16<BF16>(x + (size_t)gn * K + k0 + c) : 0.0;
        }
        __syncthreads();
        for (int c = 0; c < 32; ++c) acc += sw[tx][c] * sx[ty][c];
        __syncthreads();
    }
    if (m < M && n < N) y[(size_t)n * M + m] = acc;
}

// ---------------------------------------------------------------------------------------------------
// cuBLAS through dlopen (no cuBLAS headers or libraries exist on the build machine)

typedef int (*cublasCreate_t)(void **);
typedef int (*cublasDestroy_t)(void *);
typedef int (*cublasSetStream_t)(void *, cudaStream_t);
typedef int (*cublasGemmEx_t)(void *, int, int, int, int, int, const void *, const void *, int, int, const void *,
                              int, int, const void *, void *, int, int, int, int);
static const int kCublasOpN = 0, kCublasOpT = 1, kCublasCompute32F = 68, kCublasGemmDefault = -1;

struct Cublas {
    void *lib = nullptr;
    void *handle = nullptr;
    cublasCreate_t create = nullptr;
    cublasDestroy_t destroy = nullptr;
    cublasSetStream_t set_stream = nullptr;
    cublasGemmEx_t gemm_ex = nullptr;
    std::string where;

    bool load(const char *explicit_path) {
        std::vector<std::string> names;
        if (explicit_path && *explicit_path) names.push_back(explicit_path);
        names.push_back("libcublas.so.13");
        names.push_back("libcublas.so");
        for (auto &n : names) {
            lib = dlopen(n.c_str(), RTLD_NOW | RTLD_GLOBAL);
            if (lib) {
                where = n;
                break;
            }
        }
        if (!lib) {
            printf("[cublas] not loaded (%s); the benchmark table will have no cuBLAS column\n", dlerror());
            return false;
        }
        create = (cublasCreate_t)dlsym(lib, "cublasCreate_v2");
        destroy = (cublasDestroy_t)dlsym(lib, "cublasDestroy_v2");
        set_stream = (cublasSetStream_t)dlsym(lib, "cublasSetStream_v2");
        gemm_ex = (cublasGemmEx_t)dlsym(lib, "cublasGemmEx");
        if (!create || !destroy || !set_stream || !gemm_ex) {
            printf("[cublas] %s lacks a needed symbol\n", where.c_str());
            return false;
        }
        const int st = create(&handle);
        if (st != 0) {
            printf("[cublas] cublasCreate failed: status %d\n", st);
            handle = nullptr;
            return false;
        }
        printf("[cublas] loaded %s\n", where.c_str());
        return true;
    }

    // Y (N x M row-major) = X (N x K) W^T (W: M x K row-major); in cuBLAS column-major terms
    // Y^T (M x N) = op_T(W as K x M) * X^T (K x N).
    int gemm(const void *w, const void *x, void *y, int M, int K, int N, bool bf16, int out_type,
             cudaStream_t stream) {
        const float alpha = 1.f, beta = 0.f;
        const int in_type = bf16 ? CUDA_R_16BF : CUDA_R_16F;
        int st = set_stream(handle, stream);
        if (st != 0) return st;
        return gemm_ex(handle, kCublasOpT, kCublasOpN, M, N, K, &alpha, w, in_type, K, x, in_type, K, &beta, y,
                       out_type, M, kCublasCompute32F, kCublasGemmDefault);
    }
};

// ---------------------------------------------------------------------------------------------------
// GEMM correctness

struct DeviceWeights {
    uint16_t *values = nullptr;
    uint32_t *meta = nullptr;
    uint16_t *dense = nullptr;
    size_t values_bytes = 0, meta_bytes = 0, dense_bytes = 0;
};

static DeviceWeights upload(const Sparse24Host &w) {
    DeviceWeights d;
    d.values_bytes = w.values.size() * 2;
    d.meta_bytes = w.meta.size() * 4;
    d.dense_bytes = w.dense.size() * 2;
    CUDA_OK(cudaMalloc(&d.values, d.values_bytes));
    CUDA_OK(cudaMalloc(&d.meta, d.meta_bytes));
    CUDA_OK(cudaMalloc(&d.dense, d.dense_bytes));
    CUDA_OK(cudaMemcpy(d.values, w.values.data(), d.values_bytes, cudaMemcpyHostToDevice));
    CUDA_OK(cudaMemcpy(d.meta, w.meta.data(), d.meta_bytes, cudaMemcpyHostToDevice));
    CUDA_OK(cudaMemcpy(d.dense, w.dense.data(), d.dense_bytes, cudaMemcpyHostToDevice));
    return d;
}

static void release(DeviceWeights &d) {
    cudaFree(d.values);
    cudaFree(d.meta);
    cudaFree(d.dense);
    d = DeviceWeights();
}

static std::vector<uint16_t> make_x(int N, int K, bool bf16, uint64_t seed) {
    std::vector<uint16_t> x((size_t)N * K);
    Rng rng(seed);
    for (auto &v : x) v = to_bits((float)(rng.uniform() * 2 - 1), bf16);
    return x;
}

static const char *dtype_name(int dt) { return dt == SPRUCE_SP24_F32 ? "f32" : dt == SPRUCE_SP24_BF16 ? "bf16" : "f16"; }
static const char *kernel_name(int k) { return k == 0 ? "auto" : k == 1 ? "small" : k == 2 ? "large" : "wide"; }

static float out_value(const std::vector<uint8_t> &y, size_t i, int out_dtype) {
    if (out_dtype == SPRUCE_SP24_F32) {
        float f;
        memcpy(&f, y.data() + 4 * i, 4);
        return f;
    }
    uint16_t u;
    memcpy(&u, y.data() + 2 * i, 2);
    return from_bits(u, out_dtype == SPRUCE_SP24_BF16);
}

struct GemmCheckCtx {
    void *ws = nullptr;
    size_t ws_bytes = 0;
    void ensure_ws(size_t bytes) {
        if (bytes <= ws_bytes) return;
        if (ws) cudaFree(ws);
        CUDA_OK(cudaMalloc(&ws, bytes));
        ws_bytes = bytes;
        // The contract: zero once after allocation; every call leaves the counters zero again. Only the
        // counter block (the first 64 KiB) is zeroed here, the rest is NaN-filled: that proves no partial
        // is read before it is written, and that calls of different shapes can share one workspace.
        CUDA_OK(cudaMemset(ws, 0xFF, bytes));
        const int st = spruce_sp24_workspace_init(ws, std::min<size_t>(bytes, 65536), 0);
        if (st != 0) {
            printf("spruce_sp24_workspace_init: %s\n", spruce_sp24_status_string(st));
            exit(2);
        }
    }
};

// Checks one (weights, batch, kernel, splits, out dtype) against the device double reference on every
// element and the host float64 reference on sampled tokens. Returns pass.
static bool check_gemm(GemmCheckCtx &ctx, const Sparse24Host &hw, const DeviceWeights &dw, int N, int kernel,
                       int splits, int out_dtype, uint64_t seed, const char *label) {
    const int M = hw.M, K = hw.K;
    const bool bf16 = hw.bf16;
    std::vector<uint16_t> hx = make_x(N, K, bf16, seed);
    uint16_t *dx = nullptr;
    double *dref = nullptr;
    void *dy = nullptr;
    const size_t osz = out_dtype == SPRUCE_SP24_F32 ? 4 : 2;
    CUDA_OK(cudaMalloc(&dx, hx.size() * 2));
    CUDA_OK(cudaMalloc(&dref, (size_t)N * M * sizeof(double)));
    CUDA_OK(cudaMalloc(&dy, (size_t)N * M * osz));
    CUDA_OK(cudaMemcpy(dx, hx.data(), hx.size() * 2, cudaMemcpyHostToDevice));

    dim3 rgrid((M + 31) / 32, (N + 7) / 8);
    if (bf16)
        ref_gemm_kernel<true><<<rgrid, 256>>>(dw.dense, dx, dref, M, K, N);
    else
        ref_gemm_kernel<false><<<rgrid, 256>>>(dw.dense, dx, dref, M, K, N);
    CUDA_OK(cudaGetLastError());

    const size_t need = spruce_sp24_workspace_bytes_ex(M, K, N, kernel, splits);
    ctx.ensure_ws(need);
    CUDA_OK(cudaMemset(dy, 0xFF, (size_t)N * M * osz));  // NaN in f32, bf16 and f16
    const int st = spruce_sp24_gemm_ex(dw.values, dw.meta, dx, dy, M, K, N, bf16 ? SPRUCE_SP24_BF16 : SPRUCE_SP24_F16,
                                       out_dtype, ctx.ws, ctx.ws_bytes, kernel, splits, 0);
    if (st != 0) {
        printf("[gemm] %s: spruce_sp24_gemm_ex returned %d (%s)\n", label, st, spruce_sp24_status_string(st));
        ++g_failures;
        cudaFree(dx);
        cudaFree(dref);
        cudaFree(dy);
        return false;
    }
    CUDA_OK(cudaDeviceSynchronize());
    std::vector<uint8_t> hy((size_t)N * M * osz);
    std::vector<double> href((size_t)N * M);
    CUDA_OK(cudaMemcpy(hy.data(), dy, hy.size(), cudaMemcpyDeviceToHost));
    CUDA_OK(cudaMemcpy(href.data(), dref, href.size() * sizeof(double), cudaMemcpyDeviceToHost));

    size_t nonfinite = 0;
    double num = 0, den = 0, maxabs = 0;
    for (size_t i = 0; i < href.size(); ++i) {
        const float v = out_value(hy, i, out_dtype);
        if (!std::isfinite(v)) {
            ++nonfinite;
            continue;
        }
        const double d = v - href[i];
        num += d * d;
        den += href[i] * href[i];
        maxabs = std::max(maxabs, std::fabs(d));
    }
    const double rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);

    // Host float64 on sampled tokens: the first, the last and two random ones (checks the device reference too).
    Rng rng(seed ^ 0x5bd1e995);
    std::vector<int> toks = {0, N - 1, rng.below(N), rng.below(N)};
    double hnum = 0, hden = 0, refdiff = 0;
    std::vector<double> wrow(K), xs(toks.size() * (size_t)K);
    for (size_t ti = 0; ti < toks.size(); ++ti)
        for (int k = 0; k < K; ++k) xs[ti * K + k] = from_bits(hx[(size_t)toks[ti] * K + k], bf16);
    for (int m = 0; m < M; ++m) {
        for (int k = 0; k < K; ++k) wrow[k] = from_bits(hw.dense[(size_t)m * K + k], bf16);
        for (size_t ti = 0; ti < toks.size(); ++ti) {
            const int n = toks[ti];
            double s = 0;
            const double *xr = xs.data() + ti * K;
            for (int k = 0; k < K; ++k) s += wrow[k] * xr[k];
            const size_t i = (size_t)n * M + m;
            const double v = out_value(hy, i, out_dtype);
            hnum += std::isfinite(v) ? (v - s) * (v - s) : INFINITY;
            hden += s * s;
            refdiff = std::max(refdiff, std::fabs(href[i] - s));
        }
    }
    const double hrel = hden > 0 ? std::sqrt(hnum / hden) : std::sqrt(hnum);
    const bool ok = nonfinite == 0 && rel <= 1e-2 && hrel <= 1e-2 && refdiff <= 1e-6 * (1 + std::sqrt(hden));
    if (!ok) ++g_failures;
    printf("[gemm] %-9s %5dx%-5d N=%-4d %-5s splits=%-2d %s->%-4s rel=%.2e host_rel=%.2e maxabs=%.2e "
           "unwritten/NaN=%zu %s\n",
           label, M, K, N, kernel_name(kernel), splits, bf16 ? "bf16" : "f16", dtype_name(out_dtype), rel, hrel, maxabs,
           nonfinite, ok ? "PASS" : "FAIL");
    fflush(stdout);
    json_append(g_json_checks,
                strf("{\"check\":\"gemm\",\"label\":\"%s\",\"M\":%d,\"K\":%d,\"N\":%d,\"kernel\":\"%s\",\"splits\":%d,"
                     "\"in\":\"%s\",\"out\":\"%s\",\"rel_err\":%s,\"host_rel_err\":%s,\"max_abs\":%s,"
                     "\"nonfinite\":%zu,\"pass\":%s}",
                     label, M, K, N, kernel_name(kernel), splits, bf16 ? "bf16" : "f16", dtype_name(out_dtype),
                     jnum(rel).c_str(), jnum(hrel).c_str(), jnum(maxabs).c_str(), nonfinite, ok ? "true" : "false"));
    cudaFree(dx);
    cudaFree(dref);
    cudaFree(dy);
    return ok;
}

// Argument validation must reject bad inputs before launching anything.
static bool check_validation() {
    bool ok = true;
    void *p = nullptr;
    CUDA_OK(cudaMalloc(&p, 1 << 20));
    const uint32_t *mp = (const uint32_t *)p;
    auto expect = [&](int got, int want, const char *what) {
        const bool good = got == want;
        ok &= good;
        printf("[validate] %-28s -> %d (%s) %s\n", what, got, spruce_sp24_status_string(got), good ? "PASS" : "FAIL");
    };
    expect(spruce_sp24_gemm(p, mp, p, p, 48, 64, 1, 1, 0, nullptr, 0, 0), SPRUCE_SP24_E_SHAPE, "M % 32 != 0");
    expect(spruce_sp24_gemm(p, mp, p, p, 64, 48, 1, 1, 0, nullptr, 0, 0), SPRUCE_SP24_E_SHAPE, "K % 32 != 0");
    expect(spruce_sp24_gemm(p, mp, p, p, 64, 64, 0, 1, 0, nullptr, 0, 0), SPRUCE_SP24_E_SHAPE, "N == 0");
    expect(spruce_sp24_gemm(nullptr, mp, p, p, 64, 64, 1, 1, 0, nullptr, 0, 0), SPRUCE_SP24_E_NULL, "values NULL");
    expect(spruce_sp24_gemm(p, mp, (char *)p + 2, p, 64, 64, 1, 1, 0, nullptr, 0, 0), SPRUCE_SP24_E_ALIGN,
           "x misaligned");
    expect(spruce_sp24_gemm(p, mp, p, p, 64, 64, 1, 0, 0, nullptr, 0, 0), SPRUCE_SP24_E_DTYPE, "f32 inputs");
    expect(spruce_sp24_gemm_ex(p, mp, p, p, 64, 64, 1, 1, 0, nullptr, 0, 7, 0, 0), SPRUCE_SP24_E_KERNEL,
           "kernel id 7");
    CUDA_OK(cudaDeviceSynchronize());
    cudaFree(p);
    json_append(g_json_checks, strf("{\"check\":\"validation\",\"pass\":%s}", ok ? "true" : "false"));
    return ok;
}

// ---------------------------------------------------------------------------------------------------
// timing

struct TimingSet {
    std::vector<DeviceWeights> copies;  // rotated so repeated runs do not just measure L2
};

static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? NAN : v[v.size() / 2];
}

template <class F>
static double time_per_call_us(F &&launch, int copies, int reps, cudaStream_t stream) {
    cudaEvent_t a, b;
    CUDA_OK(cudaEventCreate(&a));
    CUDA_OK(cudaEventCreate(&b));
    const int iters = std::max(copies, 20);
    for (int i = 0; i < std::min(iters, 2 * copies + 2); ++i) launch(i % copies);  // warm-up
    CUDA_OK(cudaStreamSynchronize(stream));
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) {
        CUDA_OK(cudaEventRecord(a, stream));
        for (int i = 0; i < iters; ++i) launch(i % copies);
        CUDA_OK(cudaEventRecord(b, stream));
        CUDA_OK(cudaEventSynchronize(b));
        float ms = 0;
        CUDA_OK(cudaEventElapsedTime(&ms, a, b));
        t.push_back(ms * 1000.0 / iters);
    }
    CUDA_OK(cudaGetLastError());
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    return median(t);
}

struct BenchRow {
    int M, K, N;
    double sp_us, cb_us;
};

static void bench_shape(Cublas &cb, GemmCheckCtx &ctx, int M, int K, const std::vector<int> &batches, int reps,
                        std::vector<BenchRow> &rows, double time_budget_end) {
    const Sparse24Host hw = make_sparse(M, K, true, 4242 + M * 7 + K);
    const size_t dense_bytes = (size_t)M * K * 2;
    const int copies = (int)std::min<size_t>(64, std::max<size_t>(2, (256ull << 20) / dense_bytes + 1));
    std::vector<DeviceWeights> dws;
    for (int c = 0; c < copies; ++c) dws.push_back(upload(hw));
    const int maxN = *std::max_element(batches.begin(), batches.end());
    std::vector<uint16_t> hx = make_x(maxN, K, true, 99);
    uint16_t *dx = nullptr;
    void *dy = nullptr;
    CUDA_OK(cudaMalloc(&dx, hx.size() * 2));
    CUDA_OK(cudaMalloc(&dy, (size_t)maxN * M * 4));
    CUDA_OK(cudaMemcpy(dx, hx.data(), hx.size() * 2, cudaMemcpyHostToDevice));
    cudaStream_t stream;
    CUDA_OK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    for (int N : batches) {
        if (now_s() > time_budget_end) {
            printf("[bench] time budget spent, skipping %dx%d N=%d\n", M, K, N);
            continue;
        }
        auto time_variant = [&](int kernel, int splits = 0) {
            ctx.ensure_ws(spruce_sp24_workspace_bytes_ex(M, K, N, kernel, splits));
            int status = 0;
            const double us = time_per_call_us(
                [&](int c) {
                    const int st = spruce_sp24_gemm_ex(dws[c].values, dws[c].meta, dx, dy, M, K, N, SPRUCE_SP24_BF16,
                                                       SPRUCE_SP24_BF16, ctx.ws, ctx.ws_bytes, kernel, splits, stream);
                    if (st != 0) status = st;
                },
                copies, reps, stream);
            if (status != 0) {
                printf("[bench] spruce_sp24_gemm_ex(kernel %s) failed: %s\n", kernel_name(kernel),
                       spruce_sp24_status_string(status));
                ++g_failures;
                return (double)NAN;
            }
            return us;
        };
        const double sp = time_variant(SPRUCE_SP24_KERNEL_AUTO);
        // The other variants at the same point, so one GPU run says whether the automatic choice is right.
        std::string alt_json;
        std::string alt_text;
        const int alts[] = {SPRUCE_SP24_KERNEL_SMALL, SPRUCE_SP24_KERNEL_LARGE, SPRUCE_SP24_KERNEL_WIDE};
        for (int k : alts) {
            if (k == SPRUCE_SP24_KERNEL_SMALL && N > 64) continue;
            if (k == SPRUCE_SP24_KERNEL_WIDE && N < 128) continue;
            const double us = time_variant(k);
            alt_json += strf("%s\"%s_us\":%s", alt_json.empty() ? "" : ",", kernel_name(k), jnum(us).c_str());
            alt_text += strf(" %s %.2f", kernel_name(k), us);
        }
        // Decode points on the big shapes: sweep the split-K count, to tune choose_splits from one run.
        if (N <= 16 && (long long)M * K >= (16ll << 20)) {
            for (int sp_n : {1, 2, 3, 4, 6, 8, 12}) {
                const double us = time_variant(SPRUCE_SP24_KERNEL_SMALL, sp_n);
                alt_json += strf(",\"small_split%d_us\":%s", sp_n, jnum(us).c_str());
                alt_text += strf(" s%d %.2f", sp_n, us);
            }
        }
        double cbt = NAN;
        if (cb.handle) {
            int cst = 0;
            cbt = time_per_call_us(
                [&](int c) {
                    const int st = cb.gemm(dws[c].dense, dx, dy, M, K, N, true, CUDA_R_16BF, stream);
                    if (st != 0) cst = st;
                },
                copies, reps, stream);
            if (cst != 0) {
                printf("[bench] cublasGemmEx status %d\n", cst);
                cbt = NAN;
            }
        }
        rows.push_back({M, K, N, sp, cbt});
        const double flops = 2.0 * M * (double)K * N;  // dense-equivalent
        const double sp_bytes = (double)M * K + (double)M * K / 8 + 2.0 * N * K + 2.0 * N * M;
        const double dn_bytes = 2.0 * M * K + 2.0 * N * K + 2.0 * N * M;
        printf("[bench] %5dx%-5d N=%-4d sp24 %9.2f us %7.1f TFLOP/s %7.0f GB/s | cuBLAS %9.2f us %7.1f TFLOP/s "
               "%7.0f GB/s | speedup %.2fx (copies %d) | variants us:%s\n",
               M, K, N, sp, flops / sp * 1e-6, sp_bytes / sp * 1e-3, cbt, flops / cbt * 1e-6, dn_bytes / cbt * 1e-3,
               cbt / sp, copies, alt_text.c_str());
        fflush(stdout);
        json_append(g_json_bench,
                    strf("{\"M\":%d,\"K\":%d,\"N\":%d,\"sp24_us\":%s,\"cublas_us\":%s,\"speedup\":%s,"
                         "\"sp24_tflops\":%s,\"cublas_tflops\":%s,\"sp24_gbps\":%s,\"cublas_gbps\":%s,"
                         "\"weight_copies\":%d,\"variants\":{%s}}",
                         M, K, N, jnum(sp).c_str(), jnum(cbt).c_str(), jnum(cbt / sp).c_str(),
                         jnum(flops / sp * 1e-6).c_str(), jnum(flops / cbt * 1e-6).c_str(),
                         jnum(sp_bytes / sp * 1e-3).c_str(), jnum(dn_bytes / cbt * 1e-3).c_str(), copies,
                         alt_json.c_str()));
    }
    CUDA_OK(cudaStreamSynchronize(stream));
    cudaStreamDestroy(stream);
    cudaFree(dx);
    cudaFree(dy);
    for (auto &d : dws) release(d);
}

// Device-to-device copy bandwidth: the ceiling the small-batch kernel is measured against.
static double copy_bandwidth_gbps() {
    const size_t bytes = 1ull << 30;
    void *a = nullptr, *b = nullptr;
    if (cudaMalloc(&a, bytes) != cudaSuccess) return NAN;
    if (cudaMalloc(&b, bytes) != cudaSuccess) {
        cudaFree(a);
        return NAN;
    }
    CUDA_OK(cudaMemset(a, 1, bytes));
    cudaEvent_t e0, e1;
    CUDA_OK(cudaEventCreate(&e0));
    CUDA_OK(cudaEventCreate(&e1));
    CUDA_OK(cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice));
    std::vector<double> t;
    for (int i = 0; i < 5; ++i) {
        CUDA_OK(cudaEventRecord(e0));
        CUDA_OK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice));
        CUDA_OK(cudaEventRecord(e1));
        CUDA_OK(cudaEventSynchronize(e1));
        float ms;
        CUDA_OK(cudaEventElapsedTime(&ms, e0, e1));
        t.push_back(2.0 * bytes / (ms * 1e-3) * 1e-9);
    }
    cudaFree(a);
    cudaFree(b);
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    return median(t);
}


// ---------------------------------------------------------------------------------------------------
// tensor-core rate on this GPU: warp-level mma.sp m16n8k32 vs dense mma m16n8k16 (bf16 -> f32), the question
// of research note §6.3(b): how fast is the Ampere-style sparse path on Hopper, next to the dense one.

template <bool SPARSE>
__global__ void mma_rate_kernel(float *out, int iters, uint32_t seed) {
    // finite, non-zero bf16 pairs (zeros can run faster than real data)
    uint32_t a[4], b[4];
    for (int i = 0; i < 4; ++i) {
        a[i] = 0x3F803F80u ^ ((seed + 17u * i + threadIdx.x) & 0x007F007Fu);
        b[i] = 0x3F003F00u ^ ((seed * 3u + 29u * i + threadIdx.x) & 0x007F007Fu);
    }
    const uint32_t e = 0x44444444u;  // code 0x4 everywhere: legal for both selectors
    float acc[8][4] = {};
    for (int it = 0; it < iters; ++it) {
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            if constexpr (SPARSE) {
                asm volatile(
                    "mma.sp::ordered_metadata.sync.aligned.m16n8k32.row.col.f32.bf16.bf16.f32 "
                    "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9,%10,%11}, {%0,%1,%2,%3}, %12, 0x0;\n"
                    : "+f"(acc[j][0]), "+f"(acc[j][1]), "+f"(acc[j][2]), "+f"(acc[j][3])
                    : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(b[2]), "r"(b[3]), "r"(e));
            } else {
                asm volatile(
                    "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                    "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                    : "+f"(acc[j][0]), "+f"(acc[j][1]), "+f"(acc[j][2]), "+f"(acc[j][3])
                    : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
            }
        }
    }
    float s = 0;
    for (int j = 0; j < 8; ++j) s += acc[j][0] + acc[j][1] + acc[j][2] + acc[j][3];
    out[blockIdx.x * blockDim.x + threadIdx.x] = s;
}

// Returns dense-equivalent TFLOP/s (m16n8k32 counts 16*8*32 multiply-adds even though half are skipped).
template <bool SPARSE>
static double mma_rate_tflops(int sms) {
    const int blocks = sms * 4, threads = 256, iters = 2048;
    float *out = nullptr;
    CUDA_OK(cudaMalloc(&out, (size_t)blocks * threads * sizeof(float)));
    mma_rate_kernel<SPARSE><<<blocks, threads>>>(out, 64, 1);  // warm-up
    CUDA_OK(cudaGetLastError());
    CUDA_OK(cudaDeviceSynchronize());
    cudaEvent_t e0, e1;
    CUDA_OK(cudaEventCreate(&e0));
    CUDA_OK(cudaEventCreate(&e1));
    std::vector<double> t;
    for (int r = 0; r < 5; ++r) {
        CUDA_OK(cudaEventRecord(e0));
        mma_rate_kernel<SPARSE><<<blocks, threads>>>(out, iters, 7 + r);
        CUDA_OK(cudaEventRecord(e1));
        CUDA_OK(cudaEventSynchronize(e1));
        float ms;
        CUDA_OK(cudaEventElapsedTime(&ms, e0, e1));
        t.push_back(ms);
    }
    CUDA_OK(cudaGetLastError());
    cudaFree(out);
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    const double macs_per_mma = SPARSE ? 16.0 * 8 * 32 : 16.0 * 8 * 16;
    const double flops = 2.0 * macs_per_mma * 8 * iters * (double)blocks * (threads / 32);
    return flops / (median(t) * 1e-3) * 1e-12;
}

// ---------------------------------------------------------------------------------------------------

static void usage() {
    printf("usage: sp24_check [--host-only] [--quick] [--no-bench] [--no-check] [--json PATH] [--cublas PATH]\n"
           "                  [--check-seconds S] [--bench-seconds S] [--reps R]\n");
}

int main(int argc, char **argv) {
    const char *json_path = nullptr;
    const char *cublas_path = nullptr;
    bool host_only = false, quick = false, bench = true, checks = true;
    double bench_seconds = 90, check_seconds = 120;
    int reps = 7;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--host-only") host_only = true;
        else if (a == "--quick") quick = true;
        else if (a == "--no-bench") bench = false;
        else if (a == "--no-check") checks = false;
        else if (a == "--json" && i + 1 < argc) json_path = argv[++i];
        else if (a == "--cublas" && i + 1 < argc) cublas_path = argv[++i];
        else if (a == "--bench-seconds" && i + 1 < argc) bench_seconds = atof(argv[++i]);
        else if (a == "--check-seconds" && i + 1 < argc) check_seconds = atof(argv[++i]);
        else if (a == "--reps" && i + 1 < argc) reps = atoi(argv[++i]);
        else {
            usage();
            return a == "--help" ? 0 : 2;
        }
    }
    setvbuf(stdout, nullptr, _IOLBF, 0);
    const double t_start = now_s();
    bool ok = host_selftests();
    if (!ok) ++g_failures;
    std::string device_json = "null";
    std::vector<BenchRow> rows;
    double copy_bw = NAN, mma_dense_tf = NAN, mma_sparse_tf = NAN;
    int sms = 132;
    if (!host_only) {
        int ndev = 0;
        cudaError_t err = cudaGetDeviceCount(&ndev);
        if (err != cudaSuccess || ndev == 0) {
            printf("no CUDA device: %s\n", err != cudaSuccess ? cudaGetErrorString(err) : "count 0");
            return 2;
        }
        cudaDeviceProp prop;
        CUDA_OK(cudaGetDeviceProperties(&prop, 0));
        int drv = 0, rt = 0;
        cudaDriverGetVersion(&drv);
        cudaRuntimeGetVersion(&rt);
        printf("[device] %s, cc %d.%d, %d SMs, L2 %d MB, smem/block optin %zu KB, driver %d, runtime %d\n", prop.name,
               prop.major, prop.minor, prop.multiProcessorCount, prop.l2CacheSize >> 20,
               prop.sharedMemPerBlockOptin >> 10, drv, rt);
        sms = prop.multiProcessorCount;
        device_json = strf("{\"name\":\"%s\",\"cc\":\"%d.%d\",\"sms\":%d,\"l2_mb\":%d,\"driver\":%d,\"runtime\":%d}",
                           prop.name, prop.major, prop.minor, prop.multiProcessorCount, prop.l2CacheSize >> 20, drv, rt);

        if (checks) {
            if (!check_validation()) ++g_failures;
            if (!probe_tests()) ++g_failures;
            GemmCheckCtx ctx;
            // Random shapes: both kernels, forced split counts, every output dtype, f16 inputs, ragged N.
            Rng rng(2026);
            const int nrand = quick ? 4 : 10;
            for (int i = 0; i < nrand; ++i) {
                const int M = 32 * (1 + rng.below(24)), K = 32 * (1 + rng.below(40));
                const bool bf16 = (i % 3) != 2;
                Sparse24Host hw = make_sparse(M, K, bf16, 500 + i);
                DeviceWeights dw = upload(hw);
                const int Ns[] = {1 + rng.below(7), 9 + rng.below(60), 65 + rng.below(300)};
                for (int N : Ns)
                    for (int kernel = 1; kernel <= 3; ++kernel) {
                        const int out = i % 3 == 0 ? SPRUCE_SP24_F32 : (i % 3 == 1 ? SPRUCE_SP24_BF16 : SPRUCE_SP24_F16);
                        check_gemm(ctx, hw, dw, N, kernel, 0, out, 900 + i * 31 + N, "random");
                        check_gemm(ctx, hw, dw, N, kernel, 1 + rng.below(5), SPRUCE_SP24_F32, 901 + i * 31 + N,
                                   "rand-split");
                    }
                release(dw);
            }
            // Standard shapes (M x K = out x in) at the standard batches, automatic kernel choice, bf16 out.
            const int shapes[][2] = {{4096, 4096}, {11008, 4096}, {4096, 11008}, {2304, 768},
                                     {768, 768},   {3072, 768},   {768, 3072}};
            const int batches_full[] = {1, 8, 32, 128, 512, 2048};
            const int batches_quick[] = {1, 32, 512};
            const double check_end = now_s() + check_seconds;
            for (auto &s : shapes) {
                if (now_s() > check_end) {
                    printf("[gemm] check time budget spent: skipping standard shape %dx%d (not a failure)\n", s[0], s[1]);
                    json_append(g_json_checks, strf("{\"check\":\"gemm\",\"M\":%d,\"K\":%d,\"skipped\":true}", s[0], s[1]));
                    continue;
                }
                Sparse24Host hw = make_sparse(s[0], s[1], true, 7000 + s[0] + s[1]);
                DeviceWeights dw = upload(hw);
                if (quick) {
                    for (int N : batches_quick) check_gemm(ctx, hw, dw, N, 0, 0, SPRUCE_SP24_BF16, 31 * N + s[0], "standard");
                } else {
                    for (int N : batches_full) check_gemm(ctx, hw, dw, N, 0, 0, SPRUCE_SP24_BF16, 31 * N + s[0], "standard");
                }
                release(dw);
            }
            if (ctx.ws) cudaFree(ctx.ws);
            printf("[checks] done in %.1f s, %d failure(s) so far\n", now_s() - t_start, g_failures);
        }

        if (bench) {
            copy_bw = copy_bandwidth_gbps();
            printf("[bench] device-to-device copy: %.0f GB/s (read + write)\n", copy_bw);
            mma_dense_tf = mma_rate_tflops<false>(sms);
            mma_sparse_tf = mma_rate_tflops<true>(sms);
            printf("[bench] warp-level tensor rate, bf16->f32, registers only: dense mma.m16n8k16 %.0f TFLOP/s, "
                   "sparse mma.sp.m16n8k32 %.0f TFLOP/s dense-equivalent (%.2fx)\n",
                   mma_dense_tf, mma_sparse_tf, mma_sparse_tf / mma_dense_tf);
            Cublas cb;
            cb.load(cublas_path);
            GemmCheckCtx ctx;
            const int shapes[][2] = {{4096, 4096}, {11008, 4096}, {4096, 11008}, {2304, 768},
                                     {768, 768},   {3072, 768},   {768, 3072}};
            std::vector<int> batches = quick ? std::vector<int>{1, 16, 2048} : std::vector<int>{1, 8, 16, 32, 64, 128, 512, 1024, 2048};
            const double end = now_s() + bench_seconds;
            for (auto &s : shapes) bench_shape(cb, ctx, s[0], s[1], batches, reps, rows, end);
            if (ctx.ws) cudaFree(ctx.ws);
            if (cb.handle) cb.destroy(cb.handle);
        }
    }

    if (!rows.empty()) {
        printf("\n%-13s %5s %11s %11s %8s %9s %9s\n", "shape MxK", "N", "sp24 us", "cuBLAS us", "speedup", "sp24 TF/s",
               "sp24 GB/s");
        for (auto &r : rows) {
            const double flops = 2.0 * r.M * (double)r.K * r.N;
            const double sp_bytes = (double)r.M * r.K * 1.125 + 2.0 * r.N * r.K + 2.0 * r.N * r.M;
            printf("%5dx%-7d %5d %11.2f %11.2f %7.2fx %9.1f %9.0f\n", r.M, r.K, r.N, r.sp_us, r.cb_us, r.cb_us / r.sp_us,
                   flops / r.sp_us * 1e-6, sp_bytes / r.sp_us * 1e-3);
        }
    }
    printf("\nRESULT: %s (%d failure(s)), %.1f s\n", g_failures == 0 ? "ALL CHECKS PASSED" : "FAILURES", g_failures,
           now_s() - t_start);
    if (json_path) {
        FILE *f = fopen(json_path, "w");
        if (f) {
            fprintf(f,
                    "{\"device\":%s,\"copy_gbps\":%s,\"mma_dense_tflops\":%s,\"mma_sparse_tflops\":%s,"
                    "\"failures\":%d,\n\"checks\":[\n%s\n],\n\"bench\":[\n%s\n]}\n",
                    device_json.c_str(), jnum(copy_bw).c_str(), jnum(mma_dense_tf).c_str(), jnum(mma_sparse_tf).c_str(),
                    g_failures, g_json_checks.c_str(), g_json_bench.c_str());
            fclose(f);
            printf("wrote %s\n", json_path);
        } else {
            printf("cannot write %s\n", json_path);
        }
    }
    return g_failures == 0 ? 0 : 1;
}
