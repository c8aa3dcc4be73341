// CPU emulation run of the 2:4 GEMM kernel template (every shipped configuration), against a float64
// reference. Proves the kernels' index arithmetic on a machine without a GPU; the hardware semantics of
// mma.sp itself are settled by sp24_check's single-warp probe on a GPU.
//
//   g++ -std=c++20 -O2 -pthread -DSPRUCE_SP24_HOST_EMU -I/usr/local/cuda/include -Icuda \
//       cuda/tests/sp24_emu.cpp -o cuda/tests/build/sp24_emu     (cuda/tests/emu.sh does this)
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "emu_util.h"
#include "sp24_gemm.cuh"

using namespace spruce::sp24;
using spruce_emu_util::Rng;
using spruce_emu_util::bf16_bits;

namespace {

Rng rng(88172645463325252ull);
uint64_t next_rand() { return rng.next(); }

const int kCodes[6] = {0x4, 0x8, 0x9, 0xC, 0xD, 0xE};

struct Problem {
    int M, K, N;
    std::vector<uint16_t> dense, values, x;
    std::vector<uint32_t> meta;
};

Problem make_problem(int M, int K, int N) {
    Problem p{M, K, N, {}, {}, {}, {}};
    p.dense.assign((size_t)M * K, 0);
    p.values.assign((size_t)M * K / 2, 0);
    p.meta.assign((size_t)M * K / 32, 0);
    std::vector<uint16_t> e16((size_t)M * K / 16, 0);
    for (int r = 0; r < M; ++r)
        for (int j = 0; j < K / 4; ++j) {
            const uint64_t b = next_rand();
            const int code = kCodes[b % 6];
            const uint16_t v0 = bf16_bits((float)((b >> 8) % 2001) / 1000.f - 1.f);
            const uint16_t v1 = bf16_bits((float)((b >> 24) % 2001) / 1000.f - 1.f);
            p.dense[(size_t)r * K + 4 * j + (code & 3)] = v0;
            p.dense[(size_t)r * K + 4 * j + (code >> 2)] = v1;
            p.values[(size_t)r * K / 2 + 2 * j] = v0;
            p.values[(size_t)r * K / 2 + 2 * j + 1] = v1;
            e16[(size_t)r * K / 16 + j / 4] |= (uint16_t)(code << (4 * (j % 4)));
        }
    for (int r = 0; r < M; ++r)
        for (int q = 0; q < K / 16; ++q) {
            const size_t idx = ((size_t)(r / 32) * (K / 32) + q / 2) * 32 + 4 * (r % 8) + 2 * ((r % 32) / 16) + q % 2;
            const uint32_t h = e16[(size_t)r * K / 16 + q];
            p.meta[idx] |= (r % 16) < 8 ? h : h << 16;
        }
    p.x.resize((size_t)N * K);
    for (auto &v : p.x) v = bf16_bits((float)(next_rand() % 2001) / 1000.f - 1.f);
    return p;
}

template <class C>
void run_blocks(const GemmArgs &args, unsigned gx, unsigned gy, unsigned gz) {
    std::vector<uint8_t> smem(C::SMEM_ALLOC);
    std::barrier<> block_bar(C::THREADS);
    std::vector<spruce_emu::WarpExchange> warps(C::THREADS / 32);
    std::vector<std::unique_ptr<std::barrier<>>> wb;
    for (auto &w : warps) {
        wb.emplace_back(new std::barrier<>(32));
        w.bar = wb.back().get();
    }
    spruce_emu::BlockState bs;
    bs.smem = smem.data();
    bs.smem_bytes = smem.size();
    bs.bar = &block_bar;
    bs.warps = warps.data();
    for (unsigned z = 0; z < gz; ++z)
        for (unsigned y = 0; y < gy; ++y)
            for (unsigned x = 0; x < gx; ++x) {
                memset(smem.data(), 0xFF, smem.size());  // NaN bf16 / illegal metadata if read unwritten
                std::vector<std::thread> th;
                for (int t = 0; t < C::THREADS; ++t)
                    th.emplace_back([&, t] {
                        spruce_emu::ctx.thread_idx = {(unsigned)t, 0, 0};
                        spruce_emu::ctx.block_idx = {x, y, z};
                        spruce_emu::ctx.grid_dim = {gx, gy, gz};
                        spruce_emu::ctx.block = &bs;
                        sp24_gemm_kernel<C, true>(args);
                    });
                for (auto &t : th) t.join();
            }
}

// Emulates one launch of configuration C (split-K with the in-kernel last-slice reduction when splits > 1); returns pass.
template <class C>
bool check(const Problem &p, int splits, int out_dtype, const char *name) {
    const int M = p.M, K = p.K, N = p.N;
    const int stages_total = (K + C::BK - 1) / C::BK;
    splits = std::max(1, std::min(splits, stages_total));
    const int sps = (stages_total + splits - 1) / splits;
    splits = (stages_total + sps - 1) / sps;
    const size_t osz = out_dtype == kOutF32 ? 4 : 2;
    std::vector<uint8_t> y((size_t)N * M * osz, 0xFF);
    std::vector<float> ws(splits > 1 ? (size_t)splits * N * M : 0, NAN);
    auto &reg = spruce_emu::regions();
    reg.clear();
    reg.push_back({(const uint8_t *)p.values.data(), p.values.size() * 2});
    reg.push_back({(const uint8_t *)p.meta.data(), p.meta.size() * 4});
    reg.push_back({(const uint8_t *)p.x.data(), p.x.size() * 2});
    GemmArgs a{};
    a.values = (const uint8_t *)p.values.data();
    a.meta = p.meta.data();
    a.x = (const uint8_t *)p.x.data();
    a.y = y.data();
    a.ws = splits > 1 ? ws.data() : nullptr;
    const unsigned gx = (M + C::BM - 1) / C::BM, gy = (N + C::BN - 1) / C::BN;
    // One counter block shared by every emulated call, as one workspace is shared by real calls: each call
    // must leave the counters it used at zero.
    static std::vector<unsigned> counters(16384, 0);
    if ((size_t)gx * gy > counters.size()) return false;
    a.counters = splits > 1 ? counters.data() : nullptr;
    a.M = M;
    a.K = K;
    a.N = N;
    a.out_dtype = out_dtype;
    a.stages_total = stages_total;
    a.stages_per_split = sps;
    a.device = 0;
    run_blocks<C>(a, gx, gy, splits);
    for (unsigned c : counters)
        if (c != 0) {
            printf("[emu] split-K counters not reset\n");
            return false;
        }
    double num = 0, den = 0;
    size_t bad = 0;
    for (int n = 0; n < N; ++n)
        for (int m = 0; m < M; ++m) {
            double ref = 0;
            for (int k = 0; k < K; ++k)
                ref += (double)spruce_emu::bits_to_float(p.dense[(size_t)m * K + k], true) *
                       spruce_emu::bits_to_float(p.x[(size_t)n * K + k], true);
            const size_t i = (size_t)n * M + m;
            float v;
            if (out_dtype == kOutF32) memcpy(&v, y.data() + 4 * i, 4);
            else {
                uint16_t u;
                memcpy(&u, y.data() + 2 * i, 2);
                v = spruce_emu::bits_to_float(u, out_dtype == kOutBf16);
            }
            if (!std::isfinite(v)) {
                ++bad;
                continue;
            }
            num += (v - ref) * (v - ref);
            den += ref * ref;
        }
    const double rel = std::sqrt(num / std::max(den, 1e-30));
    const bool ok = bad == 0 && rel < (out_dtype == kOutF32 ? 1e-5 : 1e-2);
    printf("[emu] %-7s M=%-4d K=%-4d N=%-4d splits=%d out=%d rel=%.2e nonfinite=%zu %s\n", name, M, K, N, splits,
           out_dtype, rel, bad, ok ? "PASS" : "FAIL");
    fflush(stdout);
    return ok;
}

}  // namespace

int main(int argc, char **argv) {
    const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    int fails = 0;
    struct S {
        int M, K, N;
    };
    const S shapes_quick[] = {{64, 256, 3}, {96, 320, 13}, {128, 544, 70}};
    const S shapes_full[] = {{32, 32, 1}, {64, 256, 3}, {96, 320, 13}, {128, 544, 70}, {192, 96, 130}, {64, 1024, 64}};
    std::vector<S> shapes = quick ? std::vector<S>(std::begin(shapes_quick), std::end(shapes_quick))
                                  : std::vector<S>(std::begin(shapes_full), std::end(shapes_full));
    for (const S &s : shapes) {
        Problem p = make_problem(s.M, s.K, s.N);
        for (int splits : {1, 3}) {
            const int out = splits == 1 ? kOutBf16 : kOutF32;
            if (s.N <= 8) fails += !check<SmallCfg8>(p, splits, out, "small8");
            if (s.N <= 16) fails += !check<SmallCfg16>(p, splits, out, "small16");
            if (s.N <= 32 || !quick) fails += !check<SmallCfg32>(p, splits, out, "small32");
            fails += !check<SmallCfg64>(p, splits, out, "small64");
            fails += !check<LargeCfg>(p, splits, out, "large");
            fails += !check<WideCfg>(p, splits, out, "wide");
        }
    }
    printf("EMU RESULT: %s (%d failure(s))\n", fails ? "FAILURES" : "ALL PASSED", fails);
    return fails ? 1 : 0;
}
