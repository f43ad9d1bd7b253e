#!/usr/bin/env bash
# Gateways and scale (issue 14), on an otherwise idle machine:
#
#   benchmarks/gateways.sh tiers [OUT]   the same DEVICES (default 10,000) fedge swarm devices (mlp, Fashion-MNIST,
#                                        60,000 / DEVICES images each, every device in every round) connected to the
#                                        coordinator directly, then through GATEWAYS (default 100) gateways: rounds
#                                        completed, the coordinator's bytes received and sent per round, round time,
#                                        accuracy after ROUNDS (default 3) rounds. Plain TCP (10,000 certificates
#                                        would be the same handshakes in both runs). EPOCHS (5) local epochs at LR
#                                        (0.05). The devices live in two swarm processes of half the fleet each (with
#                                        their gateways in the tiered run).
#   benchmarks/gateways.sh infer [OUT]   a gateway's POST /infer under load: a coordinator trains the cnn for 2 rounds
#                                        (10 swarm clients of 2,000 images) and publishes a distilled, int8 cnn-small;
#                                        the gateway relays it and answers `fedge infer-load` at each CONCURRENCY
#                                        (default "1 2 4 16 64") for SECONDS_EACH (20) after 5 s of warm-up, one image
#                                        per request, on EDGE_THREADS (2) threads, over TLS (keep-alive); the load
#                                        generator shares the same 2 cores.
#   benchmarks/gateways.sh idle [OUT]    CLIENTS (default 10,000) idle clients connected to one coordinator (mutual
#                                        TLS, heartbeats every 10 s): its heap (live after a full GC), RSS, open file
#                                        descriptors, and the CPU it spends over IDLE_SECONDS (default 120) of
#                                        heartbeats alone.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
what="${1:?usage: gateways.sh tiers|infer|idle [OUT]}"
out="$(realpath -m "${2:-$here/runs/gateways}/$what")"
"$here/fedge" --version >/dev/null
# shellcheck source=lib.sh
source "$here/benchmarks/lib.sh"
freeze_build
rm -rf "$out" && mkdir -p "$out"

summary() {  # summary HISTORY LABEL: one line per round and the totals, from history.json
  python3 - "$1" "$2" <<'EOF'
import json, sys, statistics
rounds = json.load(open(sys.argv[1]))["rounds"]
ok = [r for r in rounds if r["succeeded"]]
for r in rounds:
    print(f"  {sys.argv[2]} round {r['round']}: {r['clients']} updates of {r['selected']} selected, "
          f"{r['bytes_up'] / 1e6:.1f} MB received, {r['bytes_down'] / 1e6:.1f} MB sent, {r['round_seconds']:.1f} s, "
          f"test accuracy {r['test_accuracy']}" + ("" if r["succeeded"] else f" (failed: {r['outcome']})"))
print(f"{sys.argv[2]}: {len(ok)} of {len(rounds)} rounds completed; median per round "
      f"{statistics.median(r['bytes_up'] for r in ok) / 1e6:.1f} MB received, "
      f"{statistics.median(r['round_seconds'] for r in ok):.1f} s; final accuracy {ok[-1]['test_accuracy']}")
EOF
}

if [ "$what" = tiers ]; then
  devices=${DEVICES:-10000}
  gateways=${GATEWAYS:-100}
  rounds=${ROUNDS:-3}
  examples=$((60000 / devices))
  for run in flat tiered; do
    dir="$out/$run"
    mkdir -p "$dir"
    port=$(free_port)
    clients=$([ "$run" = flat ] && echo "$devices" || echo "$gateways")
    FEDGE_JAVA_OPTS="-Xmx3g -XX:+UseParallelGC" "$here/fedge" coordinator --insecure --host 127.0.0.1 --port "$port" \
      --model mlp --rounds "$rounds" --min-clients "$clients" --per-round "$clients" --round-timeout 900 \
      --local-epochs "${EPOCHS:-5}" --lr "${LR:-0.05}" \
      --max-connections $((devices + 100)) --out "$dir/coordinator" >"$dir/coordinator.log" 2>&1 &
    coord=$!
    pids+=("$coord")
    start=$(date +%s.%N)
    # two swarm processes of half the fleet each, in both runs: one process holding both ends of 10,000
    # connections (devices and gateways) would need more than its 20,000 file descriptors
    half=$((devices / 2))
    for offset in 0 "$half"; do
      via=()
      [ "$run" = tiered ] && via=(--gateways $((gateways / 2)) --offset "$offset")
      [ "$run" = flat ] && via=(--offset "$offset")
      FEDGE_JAVA_OPTS="-Xmx${SWARM_HEAP:-6g} -XX:+UseParallelGC" "$here/fedge" swarm --insecure --coordinator "127.0.0.1:$port" \
        --clients "$half" --examples "$examples" "${via[@]}" --give-up-after 30m >"$dir/swarm-$offset.log" 2>&1 &
      pids+=($!)
    done
    wait "$coord"
    end=$(date +%s.%N)
    sleep 5  # let the swarms print their last lines
    summary "$dir/coordinator/history.json" "$run"
    echo "$run: coordinator $(grep -o 'peak heap.*' "$dir/coordinator.log" | tail -1); wall $(python3 -c "print(round($end - $start))") s"
    grep -h "swarm:" "$dir"/swarm*.log | sed "s/^/  $run /"
  done
elif [ "$what" = infer ]; then
  certs="$out/certs"
  "$here/fedge" certs init --dir "$certs" --names 127.0.0.1 >/dev/null
  "$here/fedge" certs gateway --dir "$certs" --id gw-infer --names 127.0.0.1 >/dev/null
  ids=(); for k in $(seq 0 9); do ids+=(--id "$(printf 'swarm-%04d' "$k")"); done
  "$here/fedge" certs client --dir "$certs" "${ids[@]}" >/dev/null
  port=$(free_port); edge=$(free_port); site=$(free_port); site_edge=$(free_port)
  FEDGE_JAVA_OPTS="-Xmx2g" "$here/fedge" coordinator --certs "$certs" --host 127.0.0.1 --port "$port" --model cnn \
    --rounds 2 --min-clients 10 --per-round 10 --local-epochs 1 --edge-every 1 --edge-student cnn-small \
    --edge-port "$edge" --out "$out/coordinator" >"$out/coordinator.log" 2>&1 &
  coord=$!
  pids+=("$coord")
  # no devices: the gateway never registers upstream, it only relays edge models and answers inference
  FEDGE_JAVA_OPTS="-Xmx1g" "$here/fedge" gateway --certs "$certs" --id gw-infer --coordinator "127.0.0.1:$port" \
    --listen "127.0.0.1:$site" --edge-upstream "https://127.0.0.1:$edge/edge-model" \
    --edge-listen "127.0.0.1:$site_edge" --edge-threads "${EDGE_THREADS:-2}" --edge-refresh 1 >"$out/gateway.log" 2>&1 &
  pids+=($!)
  "$here/fedge" swarm --certs "$certs" --coordinator "127.0.0.1:$port" --clients 10 --examples 2000 \
    >"$out/swarm.log" 2>&1 &
  pids+=($!)
  wait "$coord"
  timeout 600 grep -q -m1 "relayed from the coordinator" <(tail -n +1 -f "$out/gateway.log") \
    || { echo "the gateway relayed no edge model:"; tail -5 "$out/gateway.log"; exit 1; }
  grep -h "published" "$out/coordinator.log" | tail -1
  grep -h "relayed" "$out/gateway.log" | tail -1
  for c in ${CONCURRENCY:-1 2 4 16 64}; do
    "$here/fedge" infer-load --url "https://127.0.0.1:$site_edge" --ca "$certs/ca.crt" --concurrency "$c" \
      --seconds "${SECONDS_EACH:-20}" --warmup 5
  done
else
  clients=${CLIENTS:-10000}
  idle=${IDLE_SECONDS:-120}
  certs="$out/certs"
  "$here/fedge" certs init --dir "$certs" --names 127.0.0.1 >/dev/null
  ids=(); for k in $(seq 0 $((clients - 1))); do ids+=(--id "$(printf 'swarm-%04d' "$k")"); done
  "$here/fedge" certs client --dir "$certs" "${ids[@]}" >/dev/null
  port=$(free_port)
  # more clients than will connect: no round starts, the coordinator only holds connections and heartbeats
  FEDGE_JAVA_OPTS="-Xmx2g -XX:+UseParallelGC" "$here/fedge" coordinator --certs "$certs" --host 127.0.0.1 \
    --port "$port" --model mlp --rounds 1 --min-clients $((clients + 1)) --max-connections $((clients + 100)) \
    --out "$out/coordinator" >"$out/coordinator.log" 2>&1 &
  coord=$!
  pids+=("$coord")
  FEDGE_JAVA_OPTS="-Xmx8g -XX:+UseParallelGC" "$here/fedge" swarm --certs "$certs" --coordinator "127.0.0.1:$port" \
    --clients "$clients" --examples 1 --give-up-after 30m >"$out/swarm.log" 2>&1 &
  pids+=($!)
  java_pid=$(pgrep -f -n "io.fedge.cli.Fedge coordinator --certs $certs")
  until grep -q "waiting for clients: $clients of" "$out/coordinator.log" 2>/dev/null; do sleep 2; done
  sleep 15  # the last handshakes settle
  ticks=$(getconf CLK_TCK)
  cpu() { awk '{print $14 + $15}' "/proc/$java_pid/stat"; }
  c0=$(cpu); t0=$(date +%s.%N)
  sleep "$idle"
  c1=$(cpu); t1=$(date +%s.%N)
  jcmd "$java_pid" GC.run >/dev/null
  # live heap: the used KiB of both generations after the full GC (not Metaspace)
  heap=$(jcmd "$java_pid" GC.heap_info | awk '/PSYoungGen|ParOldGen/ {for (i = 1; i < NF; i++) if ($i == "used") {v = $(i + 1); gsub(/[^0-9]/, "", v); s += v}} END {print s}')
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$java_pid/status")
  fds=$(ls "/proc/$java_pid/fd" | wc -l)
  threads=$(ls "/proc/$java_pid/task" | wc -l)
  python3 - <<EOF
c0, c1, t0, t1, ticks = $c0, $c1, $t0, $t1, $ticks
cpu = (c1 - c0) / ticks
wall = t1 - t0
print(f"idle: $clients clients connected over mutual TLS; coordinator heap {int('$heap') / 1024:.0f} MiB live after GC, "
      f"RSS {int('$rss') / 1024:.0f} MiB, {int('$fds')} file descriptors, {int('$threads')} threads; "
      f"CPU {cpu:.2f} s over {wall:.0f} s of heartbeats = {100 * cpu / wall:.2f}% of one core "
      f"({1e6 * cpu / wall / $clients:.1f} us per client per second)")
EOF
  grep -h "waiting for clients" "$out/coordinator.log" | tail -1
fi
