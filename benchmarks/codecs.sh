#!/usr/bin/env bash
# Update codecs on the two reference simulations: bytes up and down per round, compression ratio
# against fp32, and final accuracy against fp32.
#   A: mlp, iid, 10 clients, all 10 per round, 10 rounds            (accuracy: final round)
#   B: cnn, dirichlet 0.5, 100 clients, 10 per round, 20 rounds     (accuracy: mean of the last 5 rounds)
#
#   benchmarks/codecs.sh [OUT] [CODEC ...]     (default runs/codecs and the codecs below)
#
# Run it on an otherwise idle machine.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$here/runs/codecs}")"
shift || true
codecs=("$@")
if [ ${#codecs[@]} -eq 0 ]; then
  codecs=(fp32 fp16 int8 int4 topk:0.01+int8 sign fp32+zstd int8+zstd topk:0.01+int8+zstd sign+zstd "int8 --downlink fp16")
fi
mkdir -p "$out"
"$here/fedge" --version >/dev/null   # builds on first use
run_a="--model mlp --partition iid --clients 10 --per-round 10 --rounds 10 --batch 32 --lr 0.05 --seed 1"
run_b="--model cnn --partition dirichlet --alpha 0.5 --clients 100 --per-round 10 --rounds 20 --batch 32 --lr 0.05 --seed 1"
for spec in "${codecs[@]}"; do
  # shellcheck disable=SC2086
  set -- $spec
  codec="$1"; shift
  tag="$(echo "$spec" | tr ' :+' '__-' | tr -s '_')"
  for name in A B; do
    args="$run_a"; [ "$name" = B ] && args="$run_b"
    # shellcheck disable=SC2086
    "$here/fedge" simulate $args --codec "$codec" "$@" --no-progress --out "$out/$name-$tag" > "$out/$name-$tag.log" 2>&1
  done
done
python3 - "$out" "${codecs[@]}" <<'PY'
import json, statistics, sys
out, specs = sys.argv[1], sys.argv[2:]
def tag(s):
    t = s.replace(" ", "_").replace(":", "_").replace("+", "-")
    while "__" in t:
        t = t.replace("__", "_")
    return t
def load(name, spec):
    h = json.load(open(f"{out}/{name}-{tag(spec)}/history.json"))["rounds"]
    acc = h[-1]["test_accuracy"] if name == "A" else statistics.mean(r["test_accuracy"] for r in h[-5:])
    up = statistics.mean(r["bytes_up"] for r in h)
    down = statistics.mean(r["bytes_down"] for r in h)
    return acc, up, down
for name in ("A", "B"):
    base = load(name, "fp32")
    print(f"run {name}")
    print(f"{'codec':>28} {'MB up/round':>11} {'MB down/round':>13} {'ratio up':>8} {'accuracy':>8} {'vs fp32':>8}")
    for spec in specs:
        acc, up, down = load(name, spec)
        print(f"{spec:>28} {up / 1e6:>11.3f} {down / 1e6:>13.3f} {base[1] / up:>8.1f} {acc:>8.4f} {100 * (acc - base[0]):>+8.2f}")
PY
