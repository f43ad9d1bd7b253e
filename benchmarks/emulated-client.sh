#!/usr/bin/env bash
# One fedge client on an emulated device CPU (qemu-user) trains one round of the mlp against a
# coordinator on this machine's own JVM, over mutual TLS, and sends its update (docs/devices.md).
# The times it prints are qemu's, not a device's.
#
#   benchmarks/emulated-client.sh PLATFORM [native|fallback|host] [OUT]
#
# PLATFORM is the client's build (-Dfedge.platform) and the CPU it runs on:
#   linux-arm64        Debian's arm64 OpenJDK 17 under qemu-aarch64 (benchmarks/arm64-client.sh)
#   linux-x86_64       this machine's JDK under qemu-x86_64 -cpu Nehalem: x86-64 without AVX or AVX2
#   linux-x86_64-avx2  the default build on that same CPU, which it is not for (expected to fail)
# native: the client loads Netty's epoll and BoringSSL (Netty's loader logs each library);
# fallback: -Dfedge.transport=nio -Dfedge.tls.provider=jdk (what a device without them runs);
# host: the same client command on this machine's default build and CPU; once it has run, each
# mode's model is compared with the host's (benchmarks/CompareModels.java).
# Environment: OUT's default is runs/emulated-client/PLATFORM; FEDGE_SKIP_BUILD=1 reuses OUT's
# two builds from an earlier run; CLIENTS (the training set is cut into this many partitions and
# the client holds one; default 60, 1,000 examples); PORT (default 7290); FEDGE_MVN_ARGS (extra
# Maven arguments, e.g. -o); ARM64_ROOT (where the arm64 JDK and libraries are unpacked; default
# ~/.cache/fedge-arm64-root).
#
# Needs qemu-user-static, and for linux-arm64 Debian's arm64 package lists (once, as root:
#   apt-get install qemu-user-static; dpkg --add-architecture arm64; apt-get update).
# The arm64 packages are downloaded (apt-get download) and unpacked into ARM64_ROOT, not
# installed: installing openjdk-17-jre-headless:arm64 would replace the machine's x86-64 JDK.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
platform="${1:-}"
mode="${2:-native}"
out="$(realpath -m "${3:-$here/runs/emulated-client/$platform}")"
clients="${CLIENTS:-60}"
port="${PORT:-7290}"
root="${ARM64_ROOT:-$HOME/.cache/fedge-arm64-root}"
# shellcheck disable=SC2206
mvn_args=(-B -q ${FEDGE_MVN_ARGS:-})
say() { echo "emulated-client: $*" >&2; }
case "$platform" in
  linux-arm64) qemu_bin=qemu-aarch64-static ;;
  linux-x86_64|linux-x86_64-avx2) qemu_bin=qemu-x86_64-static ;;
  *) say "PLATFORM must be linux-arm64, linux-x86_64 or linux-x86_64-avx2: '$platform'"; exit 2 ;;
esac
case "$mode" in
  native|host) client_opts=(-Dorg.slf4j.simpleLogger.log.io.netty.util.internal.NativeLibraryLoader=debug) ;;
  fallback) client_opts=(-Dfedge.transport=nio -Dfedge.tls.provider=jdk) ;;
  *) say "the mode must be native, fallback or host: '$mode'"; exit 2 ;;
esac
qemu="$(command -v "$qemu_bin" || true)"
if [ -z "$qemu" ]; then
  say "no $qemu_bin (apt-get install qemu-user-static)"; exit 2
fi

if [ "$platform" = linux-arm64 ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    say "no arm64 package lists (dpkg --add-architecture arm64 && apt-get update)"; exit 2
  fi
  java_dev="$root/usr/lib/jvm/java-17-openjdk-arm64/bin/java"
  if [ ! -x "$java_dev" ]; then
    say "unpacking Debian's arm64 OpenJDK 17 and its libraries into $root"
    mkdir -p "$root/debs"
    # libgomp1: the arm64 libnd4j needs libgomp.so.1, which its jar does not carry
    (cd "$root/debs" && apt-get download openjdk-17-jre-headless:arm64 libc6:arm64 libgcc-s1:arm64 \
      libstdc++6:arm64 zlib1g:arm64 libgomp1:arm64 >/dev/null)
    for deb in "$root"/debs/*.deb; do
      dpkg-deb -x "$deb" "$root"
    done
  fi
  device() { nice -n 5 "$qemu" -L "$root" "$java_dev" "$@"; }
else
  # Nehalem: SSE4.2 and POPCNT, no AVX, no AVX2 (qemu's TCG raises SIGILL for what the model lacks)
  java_dev="$(readlink -f "$(command -v java)")"
  device() { nice -n 5 "$qemu" -cpu Nehalem "$java_dev" "$@"; }
fi

mkdir -p "$out"
if [ "${FEDGE_SKIP_BUILD:-0}" = 1 ] && [ -f "$out/device-cli/fedge.jar" ] && [ -f "$out/host-cli/fedge.jar" ]; then
  say "reusing the builds in $out (FEDGE_SKIP_BUILD=1)"
else
  say "building the $platform CLI and the host's (linux-x86_64-avx2)"
  (cd "$here" && nice -n 5 mvn "${mvn_args[@]}" -pl simulation -am -DskipTests "-Dfedge.platform=$platform" package)
  rm -rf "$out/device-cli" "$out/host-cli"
  mkdir -p "$out/device-cli" "$out/host-cli"
  cp -r "$here/simulation/target/fedge.jar" "$here/simulation/target/lib" "$out/device-cli/"
  (cd "$here" && nice -n 5 mvn "${mvn_args[@]}" -pl simulation -am -DskipTests package)
  cp -r "$here/simulation/target/fedge.jar" "$here/simulation/target/lib" "$out/host-cli/"
fi
host() { FEDGE_JAR="$out/host-cli/fedge.jar" FEDGE_LIB="$out/host-cli/lib" "$here/fedge" "$@"; }

summary="$out/run-$mode.txt"
if [ "$mode" = host ]; then
  arch_line="$(java -XshowSettings:properties -version 2>&1 | grep -E '^\s*os\.arch' | tr -s ' ')"
  echo "emulated-client: host: this machine's JVM and default build (os.arch =${arch_line#*=})" > "$summary"
else
  arch_line="$(device -XshowSettings:properties -version 2>&1 | grep -E '^\s*os\.arch' | tr -s ' ')"
  {
    echo "emulated-client: $platform under $qemu_bin$([ "$platform" = linux-arm64 ] || echo ' -cpu Nehalem') (the client's JVM: os.arch =${arch_line#*=})"
    echo "emulated-client: the client's jars with natives for one platform: $(ls "$out/device-cli/lib" | grep -E -- '-(linux|android)[-_]' | tr '\n' ' ')"
  } > "$summary"
fi
cat "$summary" >&2

rm -rf "$out/certs" "$out/coordinator-$mode"
host certs init --dir "$out/certs" >/dev/null
host certs client --dir "$out/certs" --id device-0 >/dev/null
# started without the host function, so that $! is the coordinator's JVM (./fedge execs java)
FEDGE_JAR="$out/host-cli/fedge.jar" FEDGE_LIB="$out/host-cli/lib" "$here/fedge" coordinator --certs "$out/certs" \
  --port "$port" --model mlp --rounds 1 --min-clients 1 --no-eval --round-timeout 1800 \
  --out "$out/coordinator-$mode" > "$out/coordinator-$mode.log" 2>&1 &
coordinator=$!
trap 'kill "$coordinator" 2>/dev/null || true' EXIT
# readiness: the coordinator prints "waiting for N clients" once it listens (at most two minutes)
for _ in $(seq 1 240); do
  grep -q "waiting for" "$out/coordinator-$mode.log" && break
  kill -0 "$coordinator" 2>/dev/null || { cat "$out/coordinator-$mode.log" >&2; exit 1; }
  sleep 0.5
done

say "the client ($mode) connects, trains one round, sends its update"
client_args=(client --certs "$out/certs" --id device-0 --index 0 --clients "$clients" --coordinator "127.0.0.1:$port"
  --give-up-after 5m)
t0=$(date +%s.%N)
set +e
if [ "$mode" = host ]; then
  FEDGE_JAVA_OPTS="-Xmx2g -XX:+UseSerialGC ${client_opts[*]}" host "${client_args[@]}" > "$out/client-$mode.log" 2>&1
else
  device -Xmx2g -XX:+UseSerialGC "-XX:ErrorFile=$out/hs_err_%p.log" -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dorg.bytedeco.javacpp.maxBytes=0 "${client_opts[@]}" \
    -cp "$out/device-cli/fedge.jar:$out/device-cli/lib/*" io.fedge.cli.Fedge "${client_args[@]}" \
    > "$out/client-$mode.log" 2>&1
fi
client_rc=$?
set -e
t1=$(date +%s.%N)
if [ "$client_rc" != 0 ]; then
  kill "$coordinator" 2>/dev/null || true
fi
coordinator_rc=0
wait "$coordinator" || coordinator_rc=$?
trap - EXIT
{
  echo "emulated-client: $mode: client exit $client_rc, coordinator exit $coordinator_rc, client wall $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s"
  grep -E "fedge: |Successfully loaded the library|local examples|federation over|refused|rror|SIGILL|AVX" "$out/client-$mode.log" | head -20 || true
  # the round's row: round, test acc, test loss, train loss, clients, seconds, MB up, MB down
  grep -E "^ +1 " "$out/coordinator-$mode.log" || true
  grep -E "federation finished:|stopped" "$out/coordinator-$mode.log" || true
} | tee -a "$summary"
# the model each finished mode produced, against the host's (the same round on x86-64)
if [ "$client_rc" = 0 ] && [ -f "$out/coordinator-host/global-model.fgm" ]; then
  for m in native fallback; do
    if [ -f "$out/coordinator-$m/global-model.fgm" ]; then
      echo "emulated-client: the model after $m against host: $(java -cp "$out/host-cli/fedge.jar:$out/host-cli/lib/*" \
        "$here/benchmarks/CompareModels.java" "$out/coordinator-$m/global-model.fgm" \
        "$out/coordinator-host/global-model.fgm" 2>/dev/null)" | tee -a "$summary"
    fi
  done
fi
[ "$client_rc" = 0 ] && [ "$coordinator_rc" = 0 ]
