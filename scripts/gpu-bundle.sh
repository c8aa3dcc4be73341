#!/usr/bin/env bash
# Builds bundle/spruce-gpu/ and bundle/spruce-gpu.tar.gz: everything `./spruce gpu-check` needs on a GPU host
# that has a CUDA driver but maybe no JDK and no package registry:
#   runtime/                 jlink'ed JDK 25 (java.base, jdk.incubator.vector + what jdeps says the jars need)
#   java/target/             spruce-core.jar (with libjniCudaNative.so + libspruce_cuda.so inside), lib/*.jar,
#                            test-classes/ (the JUnit GPU tests), native/ (the .so files and ptxas report, to inspect)
#   tools/                   junit-platform-console-standalone (runs the JUnit GPU tests)
#   jmh/target/benchmarks.jar  (when the JMH module was built)
#   scripts/torch_anchor.py  the PyTorch / cuSPARSELt anchor
#   spruce, run-gpu-check.sh the launcher (prefers ./runtime) and a one-line runner
# Run through the launcher (`./spruce gpu-bundle`), which has already found a JDK >= 25 as JAVA_HOME.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${JAVA_HOME:?run this through ./spruce gpu-bundle (it finds the JDK)}"
LIMIT_MIB=48
JUNIT_CONSOLE_VERSION=1.14.1   # matches junit-jupiter 5.14.1 in the parent POM
OUTDIR="$ROOT/bundle"
B="$OUTDIR/spruce-gpu"
cd "$ROOT"

echo "gpu-bundle: building (mvn package, tests compiled but not run) ..."
mvn -B -q -Dstyle.color=never -DskipTests package
CORE="$ROOT/java/target/spruce-core.jar"
if ! unzip -l "$CORE" | grep -q "libjniCudaNative.so"; then
  echo "gpu-bundle: $CORE has no CUDA native library (was nvcc missing?); a GPU bundle without it is useless." >&2
  exit 1
fi

rm -rf "$B" "$OUTDIR/spruce-gpu.tar.gz"
mkdir -p "$B/java/target/lib" "$B/java/target/native" "$B/tools" "$B/scripts"
cp "$CORE" "$B/java/target/"
# The GPU check needs neither the MiniLM model (90 MB) nor ONNX Runtime (93 MB, the CPU speed anchor): leave them out.
for j in "$ROOT"/java/target/lib/*.jar; do
  case "$(basename "$j")" in
    onnxruntime-*|langchain4j-embeddings-*) ;;
    *) cp "$j" "$B/java/target/lib/" ;;
  esac
done
cp -r "$ROOT/java/target/test-classes" "$B/java/target/test-classes"
cp "$ROOT"/java/target/native/lib/*.so "$B/java/target/native/" 2>/dev/null || true
cp "$ROOT"/java/target/classes/dev/spruce/cuda/linux-x86_64/*.so "$B/java/target/native/"
[ -f "$ROOT/java/target/native/ptxas-report.txt" ] && cp "$ROOT/java/target/native/ptxas-report.txt" "$B/java/target/native/"
cp "$ROOT/scripts/torch_anchor.py" "$B/scripts/"
cp "$ROOT/spruce" "$B/spruce"
if [ -f "$ROOT/jmh/target/benchmarks.jar" ]; then
  mkdir -p "$B/jmh/target" && cp "$ROOT/jmh/target/benchmarks.jar" "$B/jmh/target/"
  # OpenBLAS (~90 MB of native code uncompressed) is the CPU anchor; a GPU host does not need it, and the
  # archive must stay under the limit. Without zip the JMH jar is left out rather than the limit broken.
  if command -v zip >/dev/null 2>&1; then
    zip -q -d "$B/jmh/target/benchmarks.jar" 'org/bytedeco/openblas/*' || true
  else
    echo "gpu-bundle: no 'zip' here to strip OpenBLAS from benchmarks.jar; leaving the JMH jar out"
    rm -rf "$B/jmh"
  fi
fi

# junit-platform-console-standalone from Maven Central (through Maven's own resolver and cache).
mvn -B -q -Dstyle.color=never dependency:copy \
  -Dartifact="org.junit.platform:junit-platform-console-standalone:$JUNIT_CONSOLE_VERSION" \
  -DoutputDirectory="$B/tools"

# Modules: the fixed set the project needs, plus whatever jdeps finds in the jars we ship.
JARS=("$B/java/target/spruce-core.jar" "$B"/java/target/lib/*.jar "$B"/tools/*.jar)
[ -f "$B/jmh/target/benchmarks.jar" ] && JARS+=("$B/jmh/target/benchmarks.jar")
FOUND="$("$JAVA_HOME/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 \
          --class-path "$(IFS=:; echo "${JARS[*]}")" "${JARS[@]}" 2>/dev/null \
        | grep -E '^[a-z][a-z0-9._]*(,[a-z][a-z0-9._]*)*$' | tail -n1 || true)"
MODS="java.base,jdk.incubator.vector,jdk.unsupported,java.management,java.logging${FOUND:+,$FOUND}"
# jdeps also lists java.desktop (commons-math's 2-D geometry inside benchmarks.jar, java.awt.geom) and java.sql
# (univocity CSV routines shaded into the JUnit console): code paths we never run, and together they would
# add ~15 MiB to the archive, so they are left out on purpose.
MODS="$(echo "$MODS" | tr ',' '\n' | sed '/^$/d' | grep -v -x -e java.desktop -e java.sql | sort -u | paste -sd, -)"
echo "gpu-bundle: jlink modules: $MODS"
"$JAVA_HOME/bin/jlink" --add-modules "$MODS" --compress zip-9 --strip-debug --no-header-files --no-man-pages \
  --output "$B/runtime"

cat > "$B/run-gpu-check.sh" <<'RUN'
#!/usr/bin/env bash
# Device query, JUnit GPU tests, benchmark table (last) and JSON: ./run-gpu-check.sh [--out FILE] [gpu-check options]
cd "$(dirname "$0")" && exec ./spruce gpu-check "$@"
RUN
chmod +x "$B/run-gpu-check.sh" "$B/spruce"

# Sanity: the bundled runtime starts the CLI without any JDK on the PATH.
env -u JAVA_HOME PATH=/usr/bin:/bin "$B/spruce" info >/dev/null

tar -C "$OUTDIR" -czf "$OUTDIR/spruce-gpu.tar.gz" spruce-gpu
BYTES=$(stat -c %s "$OUTDIR/spruce-gpu.tar.gz")
MIB=$(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "gpu-bundle: $OUTDIR/spruce-gpu.tar.gz = $MIB MiB ($BYTES bytes; folder $(du -sh "$B" | cut -f1))"
if [ "$BYTES" -ge $((LIMIT_MIB * 1048576)) ]; then
  echo "gpu-bundle: archive is over the ${LIMIT_MIB} MiB limit" >&2
  exit 1
fi
