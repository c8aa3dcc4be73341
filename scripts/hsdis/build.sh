#!/usr/bin/env bash
# Builds a HotSpot disassembler (hsdis-amd64.so) from Debian's libhsdis0-fcml plus a small shim, into
# scripts/hsdis/build/. Developer tool for reading C2's code for a kernel, e.g.
#   LD_LIBRARY_PATH=scripts/hsdis/build java -jar jmh/target/benchmarks.jar DenseBench.vector -p shape=4096x4096 \
#       -p batch=256 -p threads=1 -p dtype=F32 -f 1 -wi 1 -i 1 \
#       -jvmArgsAppend "-XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,*DenseGemm*::tile6x2"
# Needs apt-get download (no root) and gcc.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/build"
mkdir -p "$out/deb"
cd "$out/deb"
apt-get download libhsdis0-fcml libfcml0 >/dev/null 2>&1 || { echo "apt-get download libhsdis0-fcml libfcml0 failed" >&2; exit 1; }
for d in ./*.deb; do dpkg-deb -x "$d" "$out/root"; done
lib="$(find "$out/root" -name 'libhsdis.so.0' | head -n1)"
cp "$(find "$out/root" -name 'libfcml.so.0' | head -n1)" "$out/"
cp "$lib" "$out/libhsdis-fcml.so"
gcc -shared -fPIC -O2 -DHSDIS_FCML="\"$out/libhsdis-fcml.so\"" "$here/shim.c" -o "$out/hsdis-amd64.so" -ldl
echo "built $out/hsdis-amd64.so; run java with LD_LIBRARY_PATH=$out"
