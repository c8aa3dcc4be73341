// CPU emulation run of the ARMOR block-diagonal kernel (cuda/armor_blockdiag.cuh) against a float64
// reference: every CUDA thread of a block runs as a std::thread (the sp24 emulator's machinery), so the
// tiling, bounds and shared-memory index arithmetic are proved without a GPU. Outputs are surrounded by
// guard words that must come back untouched (no write outside y); shared memory starts NaN-filled, so a
// read of a slot nobody wrote shows up in the result.
//
//   g++ -std=c++20 -O2 -pthread -DSPRUCE_SP24_HOST_EMU -I/usr/local/cuda/include -Icuda \
//       cuda/tests/armor_emu.cpp -o cuda/tests/build/armor_emu     (cuda/tests/emu.sh does this)
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "emu_util.h"
#include "armor_blockdiag.cuh"

using namespace spruce::armor;

namespace {

spruce_emu_util::Rng rng(0x9E3779B97F4A7C15ull);
float next_unit() { return rng.unit(); }

size_t elem_bytes(int dtype) { return dtype == kF32 ? 4 : 2; }

void run_launch(const BlockDiagArgs &a, unsigned gx, unsigned gy) {
    std::vector<uint8_t> smem(SMEM_BYTES);
    std::barrier<> bar(THREADS);
    spruce_emu::BlockState st;
    st.smem = smem.data();
    st.smem_bytes = smem.size();
    st.bar = &bar;
    for (unsigned y = 0; y < gy; ++y)
        for (unsigned x = 0; x < gx; ++x) {
            memset(smem.data(), 0xFF, smem.size());  // NaN floats if read before written
            std::vector<std::thread> th;
            for (int t = 0; t < THREADS; ++t)
                th.emplace_back([&, t] {
                    spruce_emu::ctx.thread_idx = {(unsigned)t, 0, 0};
                    spruce_emu::ctx.block_idx = {x, y, 0};
                    spruce_emu::ctx.grid_dim = {gx, gy, 1};
                    spruce_emu::ctx.block_dim = {(unsigned)THREADS, 1, 1};
                    spruce_emu::ctx.block = &st;
                    armor_blockdiag_kernel(a);
                });
            for (auto &t : th) t.join();
        }
}

bool check(int n, int bs, int tokens, int in_dtype, int out_dtype, bool bias) {
    std::vector<float> blocks((size_t)n * bs), b(n), xf((size_t)tokens * n);
    for (auto &v : blocks) v = next_unit();
    for (auto &v : b) v = next_unit();
    const size_t ib = elem_bytes(in_dtype), ob = elem_bytes(out_dtype);
    std::vector<uint8_t> x((size_t)tokens * n * ib);
    for (size_t i = 0; i < xf.size(); ++i) {
        store_elem(x.data(), i, in_dtype, next_unit());
        xf[i] = load_elem(x.data(), i, in_dtype);  // the rounded value the kernel sees
    }
    const size_t guard = 64;
    std::vector<uint8_t> y((size_t)tokens * n * ob + 2 * guard, 0xA5);
    BlockDiagArgs a{};
    a.blocks = blocks.data();
    a.x = x.data();
    a.y = y.data() + guard;
    a.bias = bias ? b.data() : nullptr;
    a.n = n;
    a.bs = bs;
    a.tokens = tokens;
    a.in_dtype = in_dtype;
    a.out_dtype = out_dtype;
    a.row_tiles = (bs + TR - 1) / TR;
    run_launch(a, (unsigned)((n / bs) * a.row_tiles), (unsigned)((tokens + TT - 1) / TT));
    bool guards = true;
    for (size_t i = 0; i < guard; ++i)
        guards &= y[i] == 0xA5 && y[y.size() - 1 - i] == 0xA5;
    double worst = 0;
    size_t bad = 0;
    for (int t = 0; t < tokens; ++t)
        for (int r = 0; r < n; ++r) {
            const int blk = r / bs, rr = r % bs;
            double ref = bias ? b[r] : 0.0, mag = bias ? std::fabs(b[r]) : 0.0;
            for (int c = 0; c < bs; ++c) {
                const double p = (double)blocks[(size_t)blk * bs * bs + (size_t)rr * bs + c] *
                                 xf[(size_t)t * n + (size_t)blk * bs + c];
                ref += p;
                mag += std::fabs(p);
            }
            const float got = load_elem(y.data() + guard, (size_t)t * n + r, out_dtype);
            const double tol = out_dtype == kF32 ? (bs + 2) * 1.2e-7 * mag + 1e-30 : 8e-3 * mag + 1e-30;
            if (!std::isfinite(got) || std::fabs(got - ref) > tol) ++bad;
            worst = std::max(worst, std::fabs(got - ref) / (mag + 1e-30));
        }
    const bool ok = bad == 0 && guards;
    printf("[emu] armor blockdiag n=%-4d bs=%-4d tokens=%-4d in=%d out=%d bias=%d worst=%.2e bad=%zu guards=%s %s\n",
           n, bs, tokens, in_dtype, out_dtype, (int)bias, worst, bad, guards ? "ok" : "BROKEN", ok ? "PASS" : "FAIL");
    fflush(stdout);
    return ok;
}

}  // namespace

int main(int argc, char **argv) {
    const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    struct S {
        int n, bs, tokens;
    };
    // bs 4 and 16 (under one tile), 32, 128 (two row tiles, four column steps), 48 (partial tiles);
    // token counts below and above the 64-token tile.
    const S full[] = {{64, 4, 3}, {48, 16, 70}, {96, 32, 33}, {256, 128, 5}, {96, 48, 32}, {128, 128, 1}};
    const S fast[] = {{48, 16, 33}, {256, 128, 5}, {96, 48, 3}};
    int fails = 0, i = 0;
    for (const S &s : quick ? std::vector<S>(std::begin(fast), std::end(fast))
                            : std::vector<S>(std::begin(full), std::end(full))) {
        const int in = i % 3, out = (i / 3) % 2;  // cycle f32/bf16/f16 inputs, f32/bf16 outputs
        fails += !check(s.n, s.bs, s.tokens, in, out, i % 2 == 0);
        fails += !check(s.n, s.bs, s.tokens, kF32, kF32, i % 2 == 1);
        ++i;
    }
    printf("ARMOR EMU RESULT: %s (%d failure(s))\n", fails ? "FAILURES" : "ALL PASSED", fails);
    return fails ? 1 : 0;
}
