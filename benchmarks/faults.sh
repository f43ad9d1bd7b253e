#!/usr/bin/env bash
# Fault benchmarks of issue 10, with separate processes on loopback and kill -9:
#
#   benchmarks/faults.sh clients [OUT]       10 clients, mlp, 10 rounds (each waits for all 10); in every round 3 random
#                                            clients are killed with SIGKILL mid-round and started
#                                            again; against the same federation without kills
#   benchmarks/faults.sh coordinator [OUT]   5 clients, mlp, 20 rounds; the coordinator is killed
#                                            with SIGKILL 20 times at random moments and restarted
#                                            with the same command each time; against the same
#                                            federation uninterrupted
#
# ROUNDS, KILLS and SEED in the environment change the rounds, the coordinator's kills and the seed.
#
# Prints one summary line per run and writes the runs' folders and logs under OUT (default
# runs/faults). Run it on an otherwise idle machine. Every process is on 127.0.0.1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
what="${1:?usage: faults.sh clients|coordinator [OUT]}"
out="$(realpath -m "${2:-$here/runs/faults}/$what")"
"$here/fedge" --version >/dev/null   # builds on first use, outside the timings
export FEDGE_JAVA_OPTS="-Xmx1g -XX:+UseParallelGC"
seed=${SEED:-1}
rounds=${ROUNDS:-}            # default 10 (clients) or 20 (coordinator)
kills=${KILLS:-20}            # coordinator kills

# shellcheck source=lib.sh
source "$here/benchmarks/lib.sh"
kill_signal=KILL
rounds_in() { python3 - "$1" <<'EOF'
import json, sys
try:
    print(len(json.load(open(sys.argv[1]))["rounds"]))
except Exception:
    print(0)
EOF
}
summary() {  # summary LABEL DIR: rounds attempted/completed, mean round seconds, final accuracy
  python3 - "$1" "$2/history.json" <<'EOF'
import json, statistics, sys
label, path = sys.argv[1], sys.argv[2]
rounds = json.load(open(path))["rounds"]
ok = [r for r in rounds if r["succeeded"]]
secs = [r["round_seconds"] for r in rounds]
acc = ok[-1]["test_accuracy"] if ok else float("nan")
print(f"{label}: {len(ok)} of {len(rounds)} rounds completed, round seconds median {statistics.median(secs):.2f} "
      f"mean {statistics.mean(secs):.2f}, final accuracy {acc:.4f}, "
      f"updates not counted {sum(r['failures'] for r in rounds)}")
EOF
}

start_client() {  # start_client PORT INDEX CLIENTS LOG
  "$here/fedge" client --insecure --coordinator "127.0.0.1:$1" --clients "$3" --index "$2" \
      --give-up-after 10m >> "$4" 2>&1 &
  echo $!
}

wait_rounds() {  # wait_rounds FILE N PID: until FILE records N rounds or PID exits
  while [ "$(rounds_in "$1")" -lt "$2" ] && kill -0 "$3" 2>/dev/null; do
    sleep 0.2   # polling a file another process writes; nothing here is a synchronisation of fedge's own
  done
}

clients_run() {  # clients_run LABEL KILLS
  local label="$1" kills="$2" dir="$out/$1" port
  rm -rf "$dir"; mkdir -p "$dir"
  port=$(free_port)
  "$here/fedge" coordinator --insecure --host 127.0.0.1 --port "$port" --model mlp --rounds "${rounds:-10}" \
      --min-clients 10 --per-round 10 --seed "$seed" --out "$dir" > "$dir/coordinator.log" 2>&1 &
  local coord=$!; pids+=("$coord")
  local cpid=() starts=()
  for i in $(seq 0 9); do
    cpid[$i]=$(start_client "$port" "$i" 10 "$dir/client-$i.log"); pids+=("${cpid[$i]}"); starts[$i]=1
  done
  local r=0 victims="0 1 2 3 4 5 6 7 8 9"
  while ! grep -qs "waiting for" "$dir/coordinator.log" && kill -0 "$coord" 2>/dev/null; do sleep 0.1; done
  while kill -0 "$coord" 2>/dev/null && [ "$r" -lt "${rounds:-10}" ]; do
    if [ "$kills" = yes ]; then
      # the round starts once all ten are registered (--min-clients 10): wait for the restarted
      # ones (all ten before round 1) to have loaded their data and dialled, then about a second
      # into the round three die
      for i in $victims; do
        while [ "$(grep -cs "connecting to" "$dir/client-$i.log")" -lt "${starts[$i]}" ] && kill -0 "$coord" 2>/dev/null; do
          sleep 0.1
        done
      done
      sleep "$(python3 -c "import random; random.seed($seed*100+$r); print(round(random.uniform(1.5, 2.5), 2))")"
      victims=$(python3 -c "import random; random.seed($seed*1000+$r); print(*random.sample(range(10), 3))")
      for i in $victims; do kill -9 "${cpid[$i]}" 2>/dev/null || true; done
    fi
    if [ "$kills" = yes ]; then  # started again at once, as a rebooted device comes back
      for i in $victims; do
        cpid[$i]=$(start_client "$port" "$i" 10 "$dir/client-$i.log"); pids+=("${cpid[$i]}")
        starts[$i]=$((starts[$i] + 1))
      done
    fi
    wait_rounds "$dir/history.json" $((r + 1)) "$coord"
    r=$(rounds_in "$dir/history.json")
  done
  wait "$coord" || true
  summary "$label" "$dir"
}

coordinator_run() {  # coordinator_run LABEL KILLS
  local label="$1" kill="$2" dir="$out/$1" port
  rm -rf "$dir"; mkdir -p "$dir"
  port=$(free_port)
  local cmd=("$here/fedge" coordinator --insecure --host 127.0.0.1 --port "$port" --model mlp --rounds "${rounds:-20}"
      --min-clients 5 --per-round 5 --seed "$seed" --out "$dir")
  for i in $(seq 0 4); do pids+=("$(start_client "$port" "$i" 5 "$dir/client-$i.log")"); done
  local lost=0 n=0
  "${cmd[@]}" > "$dir/coordinator-0.log" 2>&1 & local coord=$!; pids+=("$coord")
  if [ "$kill" = yes ]; then
    for n in $(seq 1 "$kills"); do
      # a random moment: 1 to 8 s after the (re)start, that is during start-up, between or inside rounds
      sleep "$(python3 -c "import random; random.seed($seed*100+$n); print(round(random.uniform(1, 8), 2))")"
      kill -0 "$coord" 2>/dev/null || break
      local before; before=$(python3 - "$dir/history.json" <<'EOF'
import json, sys
try:
    print(sum(1 for r in json.load(open(sys.argv[1]))["rounds"] if r["succeeded"]))
except Exception:
    print(0)
EOF
)
      kill -9 "$coord"; wait "$coord" 2>/dev/null || true
      "${cmd[@]}" > "$dir/coordinator-$n.log" 2>&1 & coord=$!; pids+=("$coord")
      # what the restarted coordinator resumes from, against what was recorded before the kill
      local resumed=0
      while kill -0 "$coord" 2>/dev/null; do
        if grep -qs "waiting for" "$dir/coordinator-$n.log"; then
          resumed=$(grep -o "[0-9]* rounds already completed" "$dir/coordinator-$n.log" | cut -d' ' -f1 || true)
          break
        fi
        sleep 0.1
      done
      resumed=${resumed:-0}
      if [ "$resumed" -lt "$before" ]; then lost=$((lost + before - resumed)); fi
    done
  fi
  wait "$coord" || true
  summary "$label" "$dir"
  [ "$kill" = yes ] && echo "$label: $n kills, completed rounds lost: $lost"
  return 0
}

case "$what" in
  clients)
    clients_run baseline no
    clients_run killed yes
    ;;
  coordinator)
    coordinator_run uninterrupted no
    coordinator_run killed yes
    ;;
  *) echo "faults.sh: clients or coordinator, not '$what'" >&2; exit 2 ;;
esac
