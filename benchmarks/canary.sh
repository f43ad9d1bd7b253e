#!/usr/bin/env bash
# Canary benchmark of issue 13: a real coordinator (mutual TLS, edge publishing with a canary on
# 10% of devices, admin endpoint), 10 clients of `fedge swarm` training the mlp on Fashion-MNIST,
# and `fedge edge-fleet` simulating 1,000 inference-only devices that fetch their edge model by
# device id, run it on labelled test images and report telemetry.
#
#   benchmarks/canary.sh [OUT]
#
# After the federation's first edge model is stable, an administrator puts the edge model of
# version 1 (one round of training: a deliberately worse model) on the canary (`fedge models
# canary 1`; the edge models are the global models quantized as they are, `--edge-student none`); the fleet runs until the coordinator's canary test decides, and prints how many
# inferences that took; then the federation is stopped. ROUNDS (default 500), EDGE_EVERY (4) and DEVICES (1000) in the environment.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$here/runs/canary}")"
"$here/fedge" --version >/dev/null   # builds on first use
# shellcheck source=lib.sh
source "$here/benchmarks/lib.sh"
freeze_build
rounds=${ROUNDS:-500}   # more than the benchmark needs: the coordinator keeps serving while the fleet runs
every=${EDGE_EVERY:-4}
devices=${DEVICES:-1000}
rm -rf "$out" && mkdir -p "$out"
certs="$out/certs"
"$here/fedge" certs init --dir "$certs" --names 127.0.0.1,localhost >/dev/null
"$here/fedge" certs admin --dir "$certs" --name ops >/dev/null
ids=()
for k in $(seq 0 9); do ids+=(--id "$(printf 'swarm-%04d' "$k")"); done
"$here/fedge" certs client --dir "$certs" "${ids[@]}" >/dev/null
port=$(free_port); edge=$(free_port); admin=$(free_port)
"$here/fedge" coordinator --certs "$certs" --host 127.0.0.1 --port "$port" --model mlp --rounds "$rounds" \
  --min-clients 10 --edge-every "$every" --edge-student none --edge-transfer 2000 --edge-port "$edge" \
  --canary 0.1 --keep-models 100 --admin-port "$admin" --out "$out/coordinator" >"$out/coordinator.log" 2>&1 &
pids+=($!)
"$here/fedge" swarm --coordinator "127.0.0.1:$port" --certs "$certs" --clients 10 --examples 2000 \
  >"$out/swarm.log" 2>&1 &
pids+=($!)
admin_args=(--admin "https://127.0.0.1:$admin" --certs "$certs" --name ops)
# the first edge model is stable once the coordinator's log says so
until grep -q "is stable: the first edge model" "$out/coordinator.log"; do
  if ! kill -0 "${pids[0]}" 2>/dev/null; then echo "the coordinator stopped: see $out/coordinator.log"; exit 1; fi
  sleep 2
done
"$here/fedge" models canary 1 "${admin_args[@]}"
until grep -q "canary: edge model of version 1 " "$out/coordinator.log"; do sleep 1; done
start=$(date +%s.%N)
"$here/fedge" edge-fleet --url "https://127.0.0.1:$edge" --key "$certs/model-signing.pub" --ca "$certs/ca.crt" \
  --devices "$devices" | tee "$out/fleet.txt"
grep -E "canary of version 1 (rolled back|promoted)" "$out/coordinator.log" | tail -1
"$here/fedge" models list "${admin_args[@]}" | head -8
