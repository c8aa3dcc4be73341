// Shared by the CPU emulation runs (sp24_emu, block_emu, armor_emu): a seeded xorshift64 generator, so every run
// draws the same problems, and float -> bf16 bits with round-to-nearest-even, as the Java side packs them.
#pragma once
#include <cstdint>
#include <cstring>

namespace spruce_emu_util {

struct Rng {
    uint64_t state;
    explicit Rng(uint64_t seed) : state(seed) {}
    uint64_t next() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
    // Uniform on the grid {-1, -0.999, ..., 1}.
    float unit() { return (float)(next() % 2001) / 1000.f - 1.f; }
};

inline uint16_t bf16_bits(float f) {  // round to nearest even
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7FFF + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

}  // namespace spruce_emu_util
