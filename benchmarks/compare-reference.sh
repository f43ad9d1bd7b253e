#!/usr/bin/env bash
# Runs fedge and the PyTorch FedAvg reference (../shared/reference) back to back on the issue's
# runs A (mlp iid, 10 clients, 10 rounds) and B (cnn dirichlet 0.5, 100 clients, 10 per round,
# 20 rounds), then local training throughput, and prints medians and ratios.
#
#   benchmarks/compare-reference.sh [REPS] [OUT]     (defaults: 3, runs/compare)
#
# Needs the reference's set-up (python3-torch, OpenBLAS unpacked under ~/.cache/openblas-deb, see
# its README). Run it on an otherwise idle machine: the two never run at the same time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
reps="${1:-3}"
out="$(realpath -m "${2:-$here/runs/compare}")"
ref="${FEDGE_REFERENCE:-$here/../shared/reference}"
obl="${OPENBLAS_DEB:-$HOME/.cache/openblas-deb}/usr/lib/x86_64-linux-gnu/openblas-openmp"
if [ ! -f "$ref/fedavg_torch.py" ]; then
  echo "compare-reference: no PyTorch reference at $ref (set FEDGE_REFERENCE)" >&2; exit 2
fi
if [ ! -d "$obl" ]; then
  echo "compare-reference: OpenBLAS not unpacked at $obl; see $ref/README.md" >&2; exit 2
fi
mkdir -p "$out"
torch() { env LD_LIBRARY_PATH="$obl" /usr/bin/python3 "$@"; }
run_a="--model mlp --partition iid --clients 10 --per-round 10 --rounds 10 --batch 32 --lr 0.05 --seed 1"
run_b="--model cnn --partition dirichlet --alpha 0.5 --clients 100 --per-round 10 --rounds 20 --batch 32 --lr 0.05 --seed 1"
"$here/fedge" --version >/dev/null   # builds on first use, outside the timings

timed() {  # timed FILE CMD...: runs CMD with stdout to FILE, prints the wall seconds
  local file="$1"; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > "$file" 2>"$file.err"
  t1=$(date +%s.%N)
  python3 -c "print(round($t1 - $t0, 2))"
}

: > "$out/runs.jsonl"
for r in $(seq 1 "$reps"); do
  for name in A B; do
    args="$run_a"; [ "$name" = B ] && args="$run_b"
    w=$(timed "$out/fedge-$name-$r.log" "$here/fedge" simulate $args --local-epochs 1 --out "$out/fedge-$name-$r")
    python3 - "$out/fedge-$name-$r/history.json" "$w" "$name" >> "$out/runs.jsonl" <<'PY'
import json, sys
h = json.load(open(sys.argv[1])); acc = [x["test_accuracy"] for x in h["rounds"]]
print(json.dumps({"who": "fedge", "run": sys.argv[3], "final_acc": acc[-1], "last5": sum(acc[-5:]) / 5,
                  "loop_s": h["config"]["total_seconds"], "process_s": float(sys.argv[2])}))
PY
    w=$(timed "$out/torch-$name-$r.log" torch "$ref/fedavg_torch.py" $args --epochs 1 --threads 2)
    python3 - "$out/torch-$name-$r.log" "$w" "$name" >> "$out/runs.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
rounds = [l for l in lines if "round" in l and not l.get("summary")]; s = [l for l in lines if l.get("summary")][0]
acc = [x["test_acc"] for x in rounds]
print(json.dumps({"who": "torch", "run": sys.argv[3], "final_acc": acc[-1], "last5": sum(acc[-5:]) / 5,
                  "loop_s": s["total_secs"], "process_s": float(sys.argv[2])}))
PY
    tail -2 "$out/runs.jsonl"
  done
done

"$here/fedge" bench-train --runs 5 > "$out/fedge-train.log" 2>/dev/null
torch "$ref/train_throughput.py" > "$out/torch-train.json" 2>/dev/null

python3 - "$out" <<'PY'
import json, statistics as st, sys
out = sys.argv[1]
runs = [json.loads(l) for l in open(out + "/runs.jsonl")]
def med(who, run, key): return st.median(r[key] for r in runs if r["who"] == who and r["run"] == run)
print("\n| run | who | final acc | last-5 mean | loop s (median) | process s (median) |")
print("|---|---|---|---|---|---|")
for run in ("A", "B"):
    for who in ("fedge", "torch"):
        print(f"| {run} | {who} | {med(who, run, 'final_acc'):.4f} | {med(who, run, 'last5'):.4f} | "
              f"{med(who, run, 'loop_s'):.1f} | {med(who, run, 'process_s'):.1f} |")
    print(f"| {run} | fedge / torch time | | | {med('fedge', run, 'loop_s') / med('torch', run, 'loop_s'):.2f}x | "
          f"{med('fedge', run, 'process_s') / med('torch', run, 'process_s'):.2f}x |")
fedge = {}
for l in open(out + "/fedge-train.log"):
    if l.startswith("{"):
        d = json.loads(l); fedge[(d["model"], d["trainers"])] = d["samples_per_sec_median"]
torch = {(d["model"], d["threads"]): d["samples_per_sec_median"] for d in json.load(open(out + "/torch-train.json"))["results"]}
print("\n| model | cores | fedge samples/s | PyTorch samples/s | ratio |")
print("|---|---|---|---|---|")
for (model, n), v in sorted(fedge.items()):
    t = torch.get((model, n))
    print(f"| {model} | {n} | {v:,.0f} | {t:,.0f} | {v / t:.2f} |" if t else f"| {model} | {n} | {v:,.0f} | - | - |")
PY
