#!/usr/bin/env bash
# GPU-host run of the 2:4 kernel checks and benchmarks (H200 / any sm_80+ with the CUDA 13 driver).
# Usage (from the repository root): OUT=/some/dir cuda/tests/run-gpu.sh
# Needs cuda/tests/build/sp24_check built here by cuda/tests/build.sh (carry the folder cuda/tests/build);
# rebuilds it for sm_90 only if it is missing or does not start. Every step has its own time limit and
# runs even when an earlier one failed; the whole script stays under ~4 minutes.
set -u
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${OUT:-$root/cuda/tests/build/out}"
mkdir -p "$OUT"
bin="$root/cuda/tests/build/sp24_check"
t0=$(date +%s)
step() { echo; echo "=== [$(( $(date +%s) - t0 ))s] $*"; }

step "device"
timeout -k 5 10 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv 2>&1 | tee "$OUT/nvidia-smi.txt"

step "check binary starts"
if ! timeout -k 5 15 "$bin" --host-only >"$OUT/host-only.log" 2>&1; then
  cat "$OUT/host-only.log" 2>/dev/null | tail -5
  echo "prebuilt binary missing or not runnable here: rebuilding for sm_90 (about 1 minute)"
  SP24_ARCHS="90" timeout -k 5 200 "$root/cuda/tests/build.sh" 2>&1 | tail -5 | tee "$OUT/rebuild.log"
fi
tail -2 "$OUT/host-only.log" 2>/dev/null

step "locate libcublas.so.13 (for the dense baseline)"
cublas=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu; do
  [ -e "$d/libcublas.so.13" ] && cublas="$d/libcublas.so.13" && break
done
if [ -z "$cublas" ] && command -v python3 >/dev/null 2>&1; then
  # pip wheels (nvidia-cublas) next to PyTorch: nvidia/cu13/lib or nvidia/cublas/lib
  pyd="$(timeout -k 2 20 python3 -c 'import nvidia; print(list(nvidia.__path__)[0])' 2>/dev/null)"
  [ -n "$pyd" ] && cublas="$(find "$pyd" -name 'libcublas.so.13*' 2>/dev/null | grep -v Lt | head -1)"
fi
if [ -z "$cublas" ]; then
  cublas="$(timeout -k 2 15 find / -xdev \( -path /proc -o -path /sys \) -prune -o -name 'libcublas.so.13*' -print 2>/dev/null | grep -v Lt | head -1)"
fi
echo "cublas: ${cublas:-not found}"
if [ -n "$cublas" ]; then export LD_LIBRARY_PATH="$(dirname "$cublas")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi

step "sp24_check: host layout tests, mma.sp lane probe, GEMM correctness, benchmark vs cuBLAS"
timeout -k 10 140 "$bin" --json "$OUT/sp24_check.json" ${cublas:+--cublas "$cublas"} --check-seconds 55 --bench-seconds 55 \
  >"$OUT/sp24_check.log" 2>&1
echo "exit code $?"
grep -E "^\[device\]|^\[mma probe\] hyp|FAIL|^\[checks\]|^\[cublas\]|copy:|tensor rate|RESULT" "$OUT/sp24_check.log" | head -60

step "outside anchor: PyTorch semi-structured (cuSPARSELt / CUTLASS) vs dense, same shapes"
if command -v python3 >/dev/null 2>&1; then
  timeout -k 5 45 python3 "$root/cuda/tests/torch_anchor.py" "$OUT/torch_anchor.json" >"$OUT/torch_anchor.log" 2>&1
  echo "exit code $?"
  tail -40 "$OUT/torch_anchor.log"
else
  echo "no python3"
fi

step "sp24 benchmark table (also in $OUT/sp24_check.log / .json)"
sed -n '/^shape MxK/,/^RESULT/p' "$OUT/sp24_check.log"
echo "total $(( $(date +%s) - t0 )) s; results in $OUT"
