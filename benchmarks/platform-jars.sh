#!/usr/bin/env bash
# The client library's run-time jar set for each device platform (docs/devices.md): builds the
# client with -Dfedge.platform=P, copies its jar and its run-time class path (the fedge modules it
# uses and every third-party jar) into OUT/P, and prints per platform the number of jars, their size, the size of the jars that hold
# native libraries, and which platforms those native libraries are for (from the entries' paths:
# linux-x86_64/, linux/aarch64/, lib/arm64-v8a/, META-INF/native/libnetty_..._x86_64.so, ...).
# A device build should show exactly one platform.
#
#   benchmarks/platform-jars.sh [PLATFORM...]     (default: all four)
#
# Environment: OUT (default runs/platform-jars), FEDGE_MVN_ARGS (extra Maven arguments, e.g. -o
# once every platform's artifacts are in the local repository; the first run downloads them).
# Writes OUT/P/*.jar (and *.aar), OUT/P/natives.txt (every native entry with its platform) and
# OUT/table.md (the table printed at the end).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${OUT:-$here/runs/platform-jars}")"
platforms=("$@")
if [ ${#platforms[@]} -eq 0 ]; then
  platforms=(linux-x86_64-avx2 linux-x86_64 linux-arm64 android-arm64)
fi
# shellcheck disable=SC2206
mvn_args=(-B -q ${FEDGE_MVN_ARGS:-})
version="$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$here/pom.xml" | head -1)"

# platform_of PATH: the platform a native library entry is built for, from its path in the archive
platform_of() {
  local p="${1,,}"
  case "$p" in
    *arm64-v8a/*|*android-arm64/*) echo android-arm64 ;;
    *armeabi*|*android-arm/*) echo android-arm ;;
    jni/x86_64/*|lib/x86_64/*|*android-x86_64/*) echo android-x86_64 ;;
    jni/x86/*|lib/x86/*|*android-x86/*) echo android-x86 ;;
    *macosx*|*darwin*|*osx*|*.dylib|*.jnilib) echo macosx ;;
    *windows*|*win32*|win/*|*.dll) echo windows ;;
    *linux-x86_64*|*linux/amd64/*|*linux-x86-64/*|*linux_x86_64*|*epoll_x86_64*) echo linux-x86_64 ;;
    *linux-arm64*|*linux/aarch64/*|*linux-aarch64/*|*linux_aarch_64*|*epoll_aarch_64*) echo linux-arm64 ;;
    *) echo "other:$(dirname "$p")" ;;
  esac
}

is_native() {
  case "${1,,}" in
    *.so|*.so.[0-9]*|*.dylib|*.jnilib|*.dll|*/libjnidispatch.a) return 0 ;;
    *) return 1 ;;
  esac
}

mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

mkdir -p "$out"
table="$out/table.md"
{
  echo "| fedge.platform | jars | total MB | native jars | native MB | native libraries for |"
  echo "|---|---:|---:|---:|---:|---|"
} > "$table"
for p in "${platforms[@]}"; do
  dir="$out/$p"
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "platform-jars: $p: building the client and resolving its run-time jars" >&2
  # One reactor run, so the fedge jars are packaged and the dependencies resolved with this
  # build's poms (not whatever fedge snapshot the local repository holds). Every module writes
  # its own class path file (a relative outputFile is the module's); the client's is the set.
  (cd "$here" && nice -n 5 mvn "${mvn_args[@]}" -pl client -am -DskipTests "-Dfedge.platform=$p" \
    package dependency:build-classpath -DincludeScope=runtime -DexcludeTypes=pom \
    -Dmdep.outputFile=target/runtime-classpath.txt)
  tr ':' '\n' < "$here/client/target/runtime-classpath.txt" | while IFS= read -r jar; do
    [ -n "$jar" ] && cp "$jar" "$dir/"
  done
  cp "$here/client/target/fedge-client-$version.jar" "$dir/"
  jars=0 total=0 native_jars=0 native_bytes=0
  : > "$dir/natives.txt"
  for f in "$dir"/*.jar "$dir"/*.aar; do
    [ -e "$f" ] || continue
    size=$(stat -c %s "$f")
    jars=$((jars + 1))
    total=$((total + size))
    has_native=0
    while IFS= read -r entry; do
      if is_native "$entry"; then
        has_native=1
        echo "$(platform_of "$entry") $(basename "$f") $entry" >> "$dir/natives.txt"
      fi
    done < <(unzip -Z1 "$f")
    if [ "$has_native" = 1 ]; then
      native_jars=$((native_jars + 1))
      native_bytes=$((native_bytes + size))
    fi
  done
  found=$(awk '{ print $1 }' "$dir/natives.txt" | sort | uniq -c | awk '{ printf "%s (%d files), ", $2, $1 }' | sed 's/, $//')
  echo "| $p | $jars | $(mb $total) | $native_jars | $(mb $native_bytes) | ${found:-none} |" >> "$table"
done
cat "$table"
