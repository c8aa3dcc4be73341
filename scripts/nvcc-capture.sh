#!/usr/bin/env bash
# CMake CUDA compiler launcher: runs the nvcc command line it is given and keeps the compiler's stderr (the
# -Xptxas -v report) beside the object file as <object>.ptxas.log, so the per-kernel report stays complete
# when an incremental build recompiles only some .cu files. Output is still shown as usual.
out="" prev=""
for a in "$@"; do
  [ "$prev" = "-o" ] && out="$a"
  prev="$a"
done
[ -n "$out" ] || exec "$@"
"$@" 2>"$out.ptxas.log"
rc=$?
cat "$out.ptxas.log" >&2
exit $rc
