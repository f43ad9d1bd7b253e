#!/usr/bin/env bash
# Native memory across rounds: the same simulation (simplecnn, Fashion-MNIST Dirichlet(0.5) among 10 clients, all
# every round, ROUNDS (10) rounds of EPOCHS (1) local epochs, batch 64, lr 0.01, seed 1, 2 training threads) run
# with the launcher's JavaCPP options (ND4J's array deallocator on) and with nopointergc=true (the deallocator
# off), back to back. The heap is fixed and touched up front (-Xms2g -Xmx2g -XX:+AlwaysPreTouch), so the resident
# set grows only by native memory. Samples the simulating JVM's VmRSS every second and prints, per setting, the
# resident set at the end of each round, the growth from round 2 to the last, and each run's final accuracy (the
# two must be equal: the deallocator changes when memory is freed, not what is computed). OUT/summary.txt.
#
#   benchmarks/native-memory.sh [OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$here/runs/native-memory}")"
rounds="${ROUNDS:-10}" epochs="${EPOCHS:-1}"
"$here/fedge" --version >/dev/null
# shellcheck source=lib.sh
source "$here/benchmarks/lib.sh"
freeze_build
export FEDGE_JAVA_OPTS="-Xms2g -Xmx2g -XX:+AlwaysPreTouch -XX:+UseParallelGC"
rm -rf "$out" && mkdir -p "$out"
run() {  # run NAME JAVACPP-OPTIONS ('' = the launcher's own)
  local name="$1" dir="$out/$1"
  mkdir -p "$dir"
  if [ -n "$2" ]; then export FEDGE_JAVACPP="$2"; else unset FEDGE_JAVACPP; fi
  "$here/fedge" simulate --no-progress --seed 1 --parallel 2 --out "$dir/run" --model simplecnn --clients 10 \
    --per-round 10 --local-epochs "$epochs" --batch 64 --lr 0.01 --partition dirichlet --alpha 0.5 \
    --rounds "$rounds" > "$dir/log" 2>&1 &
  local launcher=$! jvm=""
  while [ -z "$jvm" ] && kill -0 "$launcher" 2>/dev/null; do jvm="$(pgrep -f "io.fedge.cli.Fedge simulate.*$dir/run" | head -1 || true)"; sleep 0.2; done
  while kill -0 "$launcher" 2>/dev/null; do
    # rounds completed so far, resident set in KiB
    echo "$(grep -c -E '^ +[0-9]+ +[0-9]\.[0-9]{4} ' "$dir/log" || true) $(awk '/VmRSS/{print $2}' "/proc/$jvm/status" 2>/dev/null || echo 0)" >> "$dir/rss"
    sleep 1
  done
  wait "$launcher"
  {
    echo "== $name (${2:-launcher default})"
    awk '$2 > 0 {last[$1] = $2} END {for (r in last) if (r > 0) printf "after round %d: %.0f MiB\n", r, last[r] / 1024}' "$dir/rss" | sort -t' ' -k3n
    awk -v n="$rounds" '$2 > 0 {last[$1] = $2} END {printf "growth from round 2 to round %d: %.0f MiB (%.1f MiB per round)\n", n - 1, (last[n - 1] - last[2]) / 1024, (last[n - 1] - last[2]) / 1024 / (n - 3)}' "$dir/rss"
    grep -m1 "final test accuracy" "$dir/log"
  } | tee -a "$out/summary.txt"
}
run deallocator-on ""
run nopointergc "-Dorg.bytedeco.javacpp.nopointergc=true"
