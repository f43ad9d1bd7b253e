#!/usr/bin/env bash
# Secure aggregation against plain FedAvg on the cnn (dirichlet 0.5), back to back, with every
# client of the federation in every round: 10 clients for 20 rounds, then 100 clients for 10.
# Prints, per setting: final accuracy, mean round seconds, bytes each client sent per round, and
# the mean seconds of secure-aggregation work per client and on the coordinator.
#
#   benchmarks/secure-aggregation.sh [OUT]     (default runs/secagg)
#
# Run it on an otherwise idle machine.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$here/runs/secagg}")"
mkdir -p "$out"
"$here/fedge" --version >/dev/null   # builds on first use, outside the timings
for setting in "10 20" "100 10"; do
  set -- $setting
  for mode in plain secure; do
    flag=""; [ "$mode" = secure ] && flag="--secure-aggregation"
    "$here/fedge" simulate --model cnn --partition dirichlet --alpha 0.5 --clients "$1" --per-round "$1" \
      --rounds "$2" --batch 32 --lr 0.05 --seed 1 --no-progress --out "$out/$1-$mode" $flag \
      > "$out/$1-$mode.log" 2>&1
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
print(f"{'clients':>7} {'mode':>6} {'final acc':>9} {'round s':>8} {'KB up/client/round':>18} "
      f"{'client secagg s':>15} {'coord secagg s':>14}")
rows = {}
for n in (10, 100):
    for mode in ("plain", "secure"):
        h = json.load(open(f"{out}/{n}-{mode}/history.json"))["rounds"]
        up = statistics.mean(r["bytes_up"] / r["clients"] for r in h if r["clients"])
        cs = [r["secagg_client_seconds"] for r in h if r.get("secagg_client_seconds") is not None]
        ks = [r["secagg_coordinator_seconds"] for r in h if r.get("secagg_coordinator_seconds") is not None]
        row = dict(acc=h[-1]["test_accuracy"], round_s=statistics.median(r["round_seconds"] for r in h), up=up,
                   cs=statistics.median(cs) if cs else float("nan"), ks=statistics.median(ks) if ks else float("nan"))
        rows[(n, mode)] = row
        print(f"{n:>7} {mode:>6} {row['acc']:>9.4f} {row['round_s']:>8.2f} {up / 1024:>18.1f} "
              f"{row['cs']:>15.3f} {row['ks']:>14.3f}")
for n in (10, 100):
    p, s = rows[(n, "plain")], rows[(n, "secure")]
    print(f"{n} clients: bytes up x{s['up'] / p['up']:.3f}, round time x{s['round_s'] / p['round_s']:.3f}, "
          f"accuracy {100 * (s['acc'] - p['acc']):+.2f} points")
PY
