#!/usr/bin/env bash
# Strategy benchmarks of issue 11: every run is `fedge simulate` with the same seed, so runs differ
# only in the strategy, the attack or the privacy settings.
#
#   benchmarks/strategies.sh attack [OUT]   cnn, Dirichlet(0.5), 100 clients, 10 per round; 20 of the
#                                           clients attack (ATTACKS, default scale:-10 gaussian:1
#                                           labelflip) under each of STRATEGIES (default fedavg
#                                           median trimmedmean krum multikrum bulyan), against
#                                           attack-free FedAvg
#   benchmarks/strategies.sh run NAME -- SIMULATE-ARGS...
#                                           one labelled run with any flags, for the other tables
#
# ROUNDS (default 20), SEED (1) and PARALLEL (2) in the environment. Prints one line per run:
# label, rounds completed, final / best / mean-of-last-5 test accuracy, seconds per round, and the
# privacy spent when the strategy reports it. Runs' folders and logs go under OUT (default
# runs/strategies).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
what="${1:?usage: strategies.sh attack|run ...}"
shift
"$here/fedge" --version >/dev/null   # builds on first use, outside the timings
# shellcheck source=lib.sh
source "$here/benchmarks/lib.sh"
freeze_build
rounds=${ROUNDS:-20}
seed=${SEED:-1}
parallel=${PARALLEL:-2}

summary() {  # summary LABEL DIR
  python3 - "$1" "$2/history.json" <<'PY'
import json, sys
label, path = sys.argv[1], sys.argv[2]
h = json.load(open(path))
ok = [r for r in h["rounds"] if not r.get("outcome")]
acc = [r["test_accuracy"] for r in ok if r.get("test_accuracy") is not None]
secs = sorted(r["round_seconds"] for r in ok)
med = secs[len(secs) // 2] if secs else float("nan")
last = acc[-5:]
eps = ""
if ok and "strategy" in ok[-1] and "epsilon" in ok[-1]["strategy"]:
    eps = "  epsilon %.3f (delta %g)" % (ok[-1]["strategy"]["epsilon"], ok[-1]["strategy"].get("delta", float("nan")))
print("%-34s rounds %3d  final %.4f  best %.4f  last5 %.4f  median round %.2f s%s" % (
    label, len(ok), acc[-1] if acc else float("nan"), max(acc) if acc else float("nan"),
    sum(last) / len(last) if last else float("nan"), med, eps))
PY
}

run() {  # run LABEL OUTROOT ARGS...
  local label="$1" root="$2"
  shift 2
  local dir="$root/${label//[^A-Za-z0-9_.-]/_}"
  rm -rf "$dir"
  mkdir -p "$dir"
  "$here/fedge" simulate --no-progress --seed "$seed" --parallel "$parallel" --out "$dir" "$@" >"$dir/log.txt" 2>&1 \
    || { echo "$label: failed, see $dir/log.txt"; tail -3 "$dir/log.txt"; return 0; }
  summary "$label" "$dir"
}

case "$what" in
  attack)
    out="$(realpath -m "${1:-$here/runs/strategies}/attack")"
    common=(--model cnn --partition dirichlet --alpha 0.5 --clients 100 --per-round 10 --rounds "$rounds")
    run "fedavg, no attack" "$out" "${common[@]}" --strategy fedavg
    for attack in ${ATTACKS:-scale:-10 gaussian:1 labelflip}; do
      for s in ${STRATEGIES:-fedavg median trimmedmean krum multikrum bulyan}; do
        run "$s, $attack" "$out" "${common[@]}" --strategy "$s" --attack "$attack" --attackers 20
      done
    done
    ;;
  run)
    label="${1:?usage: strategies.sh run LABEL -- ARGS}"
    shift
    [[ "${1:-}" == "--" ]] && shift
    run "$label" "$(realpath -m "$here/runs/strategies/run")" --rounds "$rounds" "$@"
    ;;
  *) echo "usage: strategies.sh attack|run ..." >&2; exit 2 ;;
esac
