// CPU emulation run of the block-sparse GEMM kernel template (both token tilings, every block size) against a
// float64 reference. Proves the kernel's index arithmetic (row groups, stage ring, swizzles, ldmatrix addresses,
// fragment maps, skipped blocks, partial groups and token tails) on a machine without a GPU.
//
//   cuda/tests/block_emu.sh [--quick]
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "emu_util.h"
#include "block_sparse.cuh"

using namespace spruce::block;
using spruce_emu_util::Rng;
using spruce_emu_util::bf16_bits;

namespace {

Rng rng(0x9E3779B97F4A7C15ull);
uint64_t next_rand() { return rng.next(); }

struct Problem {
    int M, K, N, bh, bw;
    std::vector<uint16_t> dense, values, x;  // dense: M x K reference (bf16 bits)
    std::vector<int> group_ptr, entry_col, entry_block;
    int blocks = 0;
};

// Random BSR with about `density` of the blocks kept, plus block row 1 left empty; then the row-grouped form
// exactly as native/spruce_block.h describes it (the Java side builds the same).
Problem make_problem(int M, int K, int N, int bh, int bw, double density) {
    Problem p{M, K, N, bh, bw, {}, {}, {}, {}, {}, {}};
    const int br = M / bh, bc = K / bw;
    std::vector<int> idx((size_t)br * bc, -1);
    p.dense.assign((size_t)M * K, 0);
    for (int i = 0; i < br; ++i)
        for (int j = 0; j < bc; ++j) {
            if (i == 1 || (double)(next_rand() % 1000) / 1000.0 >= density) continue;
            idx[(size_t)i * bc + j] = p.blocks++;
            for (int r = 0; r < bh; ++r)
                for (int c = 0; c < bw; ++c) {
                    const uint16_t v = bf16_bits((float)(next_rand() % 2001) / 1000.f - 1.f);
                    p.dense[(size_t)(i * bh + r) * K + j * bw + c] = v;
                    p.values.push_back(v);
                }
        }
    const int G = kRowsPerGroup / bh, groups = (M + kRowsPerGroup - 1) / kRowsPerGroup;
    p.group_ptr.push_back(0);
    for (int g = 0; g < groups; ++g) {
        for (int j = 0; j < bc; ++j) {
            bool any = false;
            for (int r = 0; r < G; ++r) any = any || (g * G + r < br && idx[(size_t)(g * G + r) * bc + j] >= 0);
            if (!any) continue;
            p.entry_col.push_back(j);
            for (int r = 0; r < G; ++r) p.entry_block.push_back(g * G + r < br ? idx[(size_t)(g * G + r) * bc + j] : -1);
        }
        p.group_ptr.push_back((int)p.entry_col.size());
    }
    p.x.resize((size_t)N * K);
    for (auto &v : p.x) v = bf16_bits((float)(next_rand() % 2001) / 1000.f - 1.f);
    if (p.values.empty()) p.values.resize(8);  // a valid pointer for the (unread) empty case
    return p;
}

template <class C>
void run_blocks(const BlockArgs &args, unsigned gx, unsigned gy) {
    std::vector<uint8_t> smem(C::SMEM_BYTES);
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
    for (unsigned y = 0; y < gy; ++y)
        for (unsigned x = 0; x < gx; ++x) {
            memset(smem.data(), 0xFF, smem.size());  // NaN bf16 if a slot nobody wrote is read
            std::vector<std::thread> th;
            for (int t = 0; t < C::THREADS; ++t)
                th.emplace_back([&, t] {
                    spruce_emu::ctx.thread_idx = {(unsigned)t, 0, 0};
                    spruce_emu::ctx.block_idx = {x, y, 0};
                    spruce_emu::ctx.grid_dim = {gx, gy, 1};
                    spruce_emu::ctx.block = &bs;
                    block_gemm_kernel<C>(args);
                });
            for (auto &t : th) t.join();
        }
}

template <class C>
bool check(const Problem &p, const char *name) {
    const int M = p.M, K = p.K, N = p.N;
    std::vector<float> y((size_t)N * M, NAN);
    auto &reg = spruce_emu::regions();
    reg.clear();
    reg.push_back({(const uint8_t *)p.values.data(), p.values.size() * 2});
    reg.push_back({(const uint8_t *)p.x.data(), p.x.size() * 2});
    BlockArgs a{};
    a.values = (const uint8_t *)p.values.data();
    a.group_ptr = p.group_ptr.data();
    a.entry_col = p.entry_col.data();
    a.entry_block = p.entry_block.data();
    a.x = (const uint8_t *)p.x.data();
    a.y = y.data();
    a.M = M;
    a.K = K;
    a.N = N;
    run_blocks<C>(a, (M + C::BM - 1) / C::BM, (N + C::BN - 1) / C::BN);
    double num = 0, den = 0;
    size_t bad = 0;
    for (int n = 0; n < N; ++n)
        for (int m = 0; m < M; ++m) {
            double ref = 0;
            for (int k = 0; k < K; ++k)
                ref += (double)spruce_emu::bits_to_float(p.dense[(size_t)m * K + k], true) *
                       spruce_emu::bits_to_float(p.x[(size_t)n * K + k], true);
            const float v = y[(size_t)n * M + m];
            if (!std::isfinite(v)) {
                ++bad;
                continue;
            }
            num += (v - ref) * (v - ref);
            den += ref * ref;
        }
    const double rel = std::sqrt(num / std::max(den, 1e-30));
    const bool ok = bad == 0 && rel < 1e-5;
    printf("[emu] %-6s bh=%-2d bw=%-2d M=%-4d K=%-4d N=%-4d blocks=%-4d entries=%-4zu rel=%.2e nonfinite=%zu %s\n", name,
           p.bh, p.bw, M, K, N, p.blocks, p.entry_col.size(), rel, bad, ok ? "PASS" : "FAIL");
    fflush(stdout);
    return ok;
}

template <int BH, int BW>
int check_size(int M, int K, int N, double density, bool quick) {
    Problem p = make_problem(M, K, N, BH, BW, density);
    int fails = 0;
    fails += !check<SmallCfg<BH, BW>>(p, "small");
    fails += !check<MediumCfg<BH, BW>>(p, "medium");
    if (!quick || N > 64) fails += !check<LargeCfg<BH, BW>>(p, "large");
    return fails;
}

}  // namespace

int main(int argc, char **argv) {
    const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    int fails = 0;
    // M = 192: a full and a partial 128-row group; block row 1 empty; N tails of both tilings.
    fails += check_size<32, 32>(192, 128, 40, 0.5, quick);
    fails += check_size<16, 16>(192, 96, 33, 0.6, quick);
    fails += check_size<64, 64>(192, 256, 70, 0.8, quick);
    fails += check_size<64, 32>(128, 160, 9, 0.7, quick);
    fails += check_size<32, 64>(256, 192, 130, 0.4, quick);
    if (!quick) {
        fails += check_size<16, 32>(128, 64, 5, 0.5, false);
        fails += check_size<16, 64>(64, 128, 17, 0.5, false);
        fails += check_size<32, 16>(96, 64, 64, 1.0, false);
        fails += check_size<64, 16>(128, 48, 3, 0.3, false);
    }
    printf("EMU RESULT: %s (%d failure(s))\n", fails ? "FAILURES" : "ALL PASSED", fails);
    return fails ? 1 : 0;
}
