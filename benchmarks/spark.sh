#!/usr/bin/env bash
# The spark engine (issue 14), on an otherwise idle machine: the same federation (MODEL, default cnn; Fashion-MNIST
# split Dirichlet(0.5) among 10 clients, all in every round, ROUNDS (5) rounds of 1 local epoch, batch 32, lr 0.05,
# seed 1) run three ways, back to back, REPS (2) times each:
#   in-process   fedge simulate --parallel CORES (the clients in the simulating JVM, CORES training threads)
#   local        fedge simulate --engine spark --master local[CORES] (Spark tasks in the driver JVM)
#   standalone   fedge simulate --engine spark --master spark://127.0.0.1:PORT against ./fedge spark-master and one
#                ./fedge spark-worker of CORES cores (the clients in the executor JVM the worker starts)
# Prints each run's wall time, training-loop time, load time and final accuracy, and the medians (with the median
# round after the first: the first includes the hosts reading the data), to OUT/summary.txt.
#
#   benchmarks/spark.sh [OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$here/runs/spark}")"
reps="${REPS:-2}" cores="${CORES:-2}" model="${MODEL:-cnn}" rounds="${ROUNDS:-5}"
"$here/fedge" --version >/dev/null
# shellcheck source=lib.sh
source "$here/benchmarks/lib.sh"
freeze_build spark
rm -rf "$out" && mkdir -p "$out"
wait_for() {  # wait_for FILE TEXT: until TEXT appears in FILE (60 s at most)
  timeout 60 grep -m1 -q "$2" <(tail -F "$1" 2>/dev/null)
}

port="$(free_port)"
export SPARK_LOCAL_IP=127.0.0.1
"$here/fedge" spark-master --host 127.0.0.1 --port "$port" --webui-port "$(free_port)" >"$out/master.log" 2>&1 &
pids+=($!)
wait_for "$out/master.log" "Starting Spark master"
"$here/fedge" spark-worker --host 127.0.0.1 --cores "$cores" --memory 6g --webui-port "$(free_port)" \
  --work-dir "$out/worker" "spark://127.0.0.1:$port" >"$out/worker.log" 2>&1 &
pids+=($!)
wait_for "$out/worker.log" "Successfully registered with master"

common=(simulate --no-progress --seed 1 --model "$model" --clients 10 --partition dirichlet --alpha 0.5
        --rounds "$rounds" --local-epochs 1 --batch 32 --lr 0.05)
for rep in $(seq 1 "$reps"); do
  for mode in in-process local standalone; do
    case "$mode" in
      in-process) args=(--parallel "$cores") ;;
      local) args=(--engine spark --master "local[$cores]") ;;
      standalone) args=(--engine spark --master "spark://127.0.0.1:$port" --engine-option spark.driver.host=127.0.0.1
                        --engine-option spark.executor.memory=4g) ;;
    esac
    dir="$out/$mode-$rep"
    t0=$(date +%s.%N)
    "$here/fedge" "${common[@]}" "${args[@]}" --out "$dir" >"$dir.log" 2>&1
    t1=$(date +%s.%N)
    line="$(grep "final test accuracy" "$dir.log")"
    echo "$mode $rep wall $(python3 -c "print(round($t1-$t0,1))") s | $line" | tee -a "$out/runs.txt"
  done
done
python3 - "$out" <<'PY' | tee "$out/summary.txt"
import re, sys, statistics, json, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1] + "/runs.txt"):
    mode, rep = line.split()[:2]
    wall = float(re.search(r"wall ([\d.]+) s", line).group(1))
    acc = float(re.search(r"final test accuracy ([\d.]+)", line).group(1))
    loop, load = map(float, re.search(r"([\d.]+) s for \d+ rounds \(([\d.]+) s loading\)", line).groups())
    rounds = json.load(open(f"{sys.argv[1]}/{mode}-{rep}/history.json"))["rounds"]
    later = [r["round_seconds"] for r in rounds[1:]] or [rounds[0]["round_seconds"]]
    runs[mode].append((wall, loop, load, acc, statistics.median(later)))
base = statistics.median(w for w, *_ in runs["in-process"])
base_loop = statistics.median(l for _, l, *_ in runs["in-process"])
base_round = statistics.median(r[4] for r in runs["in-process"])
for mode, rs in runs.items():
    wall = statistics.median(r[0] for r in rs); loop = statistics.median(r[1] for r in rs)
    load = statistics.median(r[2] for r in rs); accs = sorted({r[3] for r in rs})
    per_round = statistics.median(r[4] for r in rs)
    print(f"{mode:11s} wall median {wall:6.1f} s ({wall / base:.3f}x in-process), rounds {loop:6.1f} s "
          f"({loop / base_loop:.3f}x), a round after the first {per_round:5.2f} s ({per_round / base_round:.3f}x), "
          f"loading {load:5.1f} s, final accuracy {accs}")
PY
