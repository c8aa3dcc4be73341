#!/usr/bin/env bash
# Builds the standalone 2:4 check program cuda/tests/build/sp24_check (no Java, no cuBLAS at link time).
#   cuda/tests/build.sh            sm_80 + sm_90 + sm_90a cubins + compute_90 PTX (the shipping set)
#   SP24_ARCHS="90" cuda/tests/build.sh   only sm_90 (faster; used as a fallback on the GPU host)
# Writes the ptxas resource report (registers, shared memory, spills) to cuda/tests/build/ptxas-<arch>.txt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/build"
mkdir -p "$out"
NVCC="${NVCC:-nvcc}"
if ! command -v "$NVCC" >/dev/null 2>&1; then
  for c in /usr/local/cuda/bin/nvcc /usr/local/cuda-13.0/bin/nvcc; do [ -x "$c" ] && NVCC="$c" && break; done
fi
archs="${SP24_ARCHS:-80 90 90a}"
gencode=()
for a in $archs; do gencode+=(-gencode "arch=compute_${a},code=sm_${a}"); done
gencode+=(-gencode arch=compute_90,code=compute_90)
srcs=("$root"/cuda/sp24_*.cu "$here/sp24_check.cu")
echo "[build] $NVCC $("$NVCC" --version | tail -1)"
echo "[build] archs: $archs (+ compute_90 PTX)"
# One pass per arch for the resource report (readable per arch), then the fat binary.
for a in $archs; do
  "$NVCC" -std=c++17 -O3 -gencode "arch=compute_${a},code=sm_${a}" -Xptxas -v -c "$root/cuda/sp24_launch.cu" \
    -o "$out/sp24_launch_sm${a}.o" >"$out/ptxas-sm${a}.txt" 2>&1 || { cat "$out/ptxas-sm${a}.txt"; exit 1; }
done
"$NVCC" -std=c++17 -O3 "${gencode[@]}" -cudart static -I"$root/native" -I"$root/cuda" \
  "${srcs[@]}" -o "$out/sp24_check" -ldl
rm -f "$out"/sp24_launch_sm*.o
echo "[build] wrote $out/sp24_check ($(du -h "$out/sp24_check" | cut -f1))"
