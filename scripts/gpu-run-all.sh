#!/usr/bin/env bash
# One device session, everything the GPU can tell us, in order of value:
#   1. the standalone 2:4 check (mma.sp lane probe, every kernel vs float64, timing vs cuBLAS, PyTorch anchor)
#   2. the Java bundle's gpu-check (device query, all JUnit CUDA tests, Java-path benchmark table, JSON)
# Usage on the GPU host, from the repository root, with bundle/spruce-gpu.tar.gz and cuda/tests/build carried:
#   OUT=/some/dir bash scripts/gpu-run-all.sh
set -u
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$root/gpu-out}"; mkdir -p "$OUT"
t0=$(date +%s)
echo "=== [0s] standalone 2:4 check"
OUT="$OUT" timeout -k 10 240 bash "$root/cuda/tests/run-gpu.sh" 2>&1 | tee "$OUT/run-gpu.log" | tail -n 80
echo "=== [$(( $(date +%s) - t0 ))s] Java bundle gpu-check"
mkdir -p /tmp/sg && tar xzf "$root/bundle/spruce-gpu.tar.gz" -C /tmp/sg || { echo "bundle missing"; exit 1; }
cd /tmp/sg/spruce-gpu && SPRUCE_JAVA_OPTS=-Dorg.bytedeco.javacpp.cachedir=/tmp/sg/jcache \
  timeout -k 10 "${GPU_CHECK_SECONDS:-240}" ./spruce gpu-check --out "$OUT/gpu-check.json" > "$OUT/gpu-check.log" 2>&1
echo "gpu-check exit code $?"
grep -E 'tests (successful|failed)|FAIL|Exception' "$OUT/gpu-check.log" | head -30
tail -n 60 "$OUT/gpu-check.log"
echo "=== total $(( $(date +%s) - t0 ))s"
