#!/usr/bin/env bash
# Condenses nvcc -Xptxas -v output into one line per (kernel, SASS target):
#   arch  registers  smem(bytes)  stack(bytes)  spill-stores  spill-loads  kernel(demangled)
# usage: ptxas-report.sh <build-log>
set -euo pipefail
LOG="$1"
demangle() { if command -v c++filt >/dev/null; then c++filt; else cat; fi; }
echo "# nvcc -Xptxas -v report ($(date -u +%Y-%m-%dT%H:%MZ)); one row per kernel and SASS target"
printf '%-8s %5s %8s %6s %8s %8s  %s\n' arch regs smem stack spill_st spill_ld kernel
perl -ne '
  if (/Compiling entry function .(\S+). for .(sm_\w+)./) { ($fn, $ar) = ($1, $2); ($stack, $st, $ld) = (0, 0, 0); next }
  if (/(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads/) { ($stack, $st, $ld) = ($1, $2, $3); next }
  if (/Used (\d+) registers/ && defined $fn) {
    my $regs = $1; my $smem = /(\d+) bytes smem/ ? $1 : 0;
    printf "%-8s %5s %8s %6s %8s %8s  %s\n", $ar, $regs, $smem, $stack, $st, $ld, $fn; undef $fn;
  }
' "$LOG" | demangle | sed 's/(anonymous namespace):://g'
