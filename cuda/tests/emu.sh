#!/usr/bin/env bash
# Builds and runs the CPU emulation of the 2:4 kernels and of the ARMOR block-diagonal kernel (no GPU needed):
# cuda/tests/emu.sh [--quick]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mkdir -p "$here/build"
cuda_inc="${CUDA_HOME:-/usr/local/cuda}/include"
g++ -std=c++20 -O2 -pthread -DSPRUCE_SP24_HOST_EMU -I"$cuda_inc" -I"$root/cuda" \
  "$here/sp24_emu.cpp" -o "$here/build/sp24_emu"
"$here/build/sp24_emu" "$@"
g++ -std=c++20 -O2 -pthread -DSPRUCE_SP24_HOST_EMU -I"$cuda_inc" -I"$root/cuda" \
  "$here/armor_emu.cpp" -o "$here/build/armor_emu"
"$here/build/armor_emu" "$@"
