#!/usr/bin/env bash
# Builds and runs the CPU emulation of the block-sparse GEMM kernel (no GPU needed): cuda/tests/block_emu.sh [--quick]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mkdir -p "$here/build"
cuda_inc="${CUDA_HOME:-/usr/local/cuda}/include"
g++ -std=c++20 -O2 -pthread -DSPRUCE_SP24_HOST_EMU -I"$cuda_inc" -I"$root/cuda" \
  "$here/block_emu.cpp" -o "$here/build/block_emu"
"$here/build/block_emu" "$@"
