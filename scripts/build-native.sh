#!/usr/bin/env bash
# Builds libspruce_cuda.so with CMake + nvcc; Maven runs this in generate-resources (java/pom.xml).
#   build-native.sh <out-dir>
# Writes <out-dir>/lib/libspruce_cuda.so, <out-dir>/ptxas-report.txt (nvcc -Xptxas -v per kernel) and
# <out-dir>/cuda-build.properties, which Maven reads to skip the JavaCPP JNI step when nothing was built.
# Without nvcc it prints one line and still succeeds: the CPU build must never depend on CUDA.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:?usage: build-native.sh <out-dir>}"
mkdir -p "$OUT"
PROPS="$OUT/cuda-build.properties"

skip() {
  printf 'javacpp.skip=true\nspruce.cuda.built=false\n' > "$PROPS"
  rm -rf "$OUT/lib"
  # and the copies JavaCPP made in an earlier build, so a stale library never ships in the jar
  rm -rf "$OUT/../classes/dev/spruce/cuda/linux-x86_64"
  echo "[spruce] CUDA backend not built: $1 (the CPU backends are unaffected)"
  exit 0
}

[ "${SPRUCE_SKIP_CUDA:-}" = "1" ] && skip "SPRUCE_SKIP_CUDA=1"
NVCC="$(command -v nvcc || true)"
if [ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && [ -z "${SPRUCE_NO_DEFAULT_CUDA:-}" ]; then
  NVCC=/usr/local/cuda/bin/nvcc
fi
[ -n "$NVCC" ] || skip "no nvcc on PATH"
command -v cmake >/dev/null || skip "no cmake on PATH"

BUILD="$OUT/cmake-build"
LOG="$OUT/cmake-build.log"
mkdir -p "$BUILD" "$OUT/lib"
# An object compiled before its ptxas log was kept (older build dir) is rebuilt so the report stays complete.
if [ -d "$BUILD" ]; then
  find "$BUILD" -name '*.cu.o' | while read -r o; do [ -f "$o.ptxas.log" ] || rm -f "$o"; done
fi
if ! { cmake -S "$ROOT/cmake" -B "$BUILD" -DCMAKE_CUDA_COMPILER="$NVCC" -DSPRUCE_OUTPUT_DIR="$OUT/lib" \
         -DCMAKE_BUILD_TYPE=Release >"$LOG" 2>&1 &&
       cmake --build "$BUILD" -j "$(nproc 2>/dev/null || echo 2)" >>"$LOG" 2>&1; }; then
  cat "$LOG" >&2
  echo "[spruce] CUDA native build FAILED (log above, also in $LOG)" >&2
  exit 1
fi

# Per-kernel ptxas report over every .cu file (each object keeps its own log, see scripts/nvcc-capture.sh).
find "$BUILD" -name '*.ptxas.log' | sort | xargs -r cat > "$OUT/ptxas-all.log"
bash "$ROOT/scripts/ptxas-report.sh" "$OUT/ptxas-all.log" > "$OUT/ptxas-report.txt"
printf 'javacpp.skip=false\nspruce.cuda.built=true\n' > "$PROPS"
