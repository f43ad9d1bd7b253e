#!/usr/bin/env bash
# Federated A/B evaluation benchmark of issue 13: a real `fedge coordinator` over mutual TLS
# (admin endpoint on), 10 `fedge swarm` clients training the mlp on Fashion-MNIST (1,000 images
# each); after round AT (default 10) an administrator asks for two A/B evaluations on all 10
# clients: version 1 against version AT, and version AT-1 against version AT. Prints each
# verdict with its 95% interval, and the federation's server test accuracy of each version.
#
#   benchmarks/ab.sh [OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$here/runs/ab}")"
"$here/fedge" --version >/dev/null
# shellcheck source=lib.sh
source "$here/benchmarks/lib.sh"
freeze_build
at=${AT:-10}
rm -rf "$out" && mkdir -p "$out"
certs="$out/certs"
"$here/fedge" certs init --dir "$certs" --names 127.0.0.1,localhost >/dev/null
"$here/fedge" certs admin --dir "$certs" --name ops >/dev/null
ids=(); for k in $(seq 0 9); do ids+=(--id "$(printf 'swarm-%04d' "$k")"); done
"$here/fedge" certs client --dir "$certs" "${ids[@]}" >/dev/null
port=$(free_port); admin=$(free_port)
"$here/fedge" coordinator --certs "$certs" --host 127.0.0.1 --port "$port" --model mlp --rounds 500 --min-clients 10 \
  --keep-models 100 --admin-port "$admin" --out "$out/coordinator" >"$out/coordinator.log" 2>&1 &
pids+=($!)
"$here/fedge" swarm --coordinator "127.0.0.1:$port" --certs "$certs" --clients 10 --examples 1000 >"$out/swarm.log" 2>&1 &
pids+=($!)
admin_args=(--admin "https://127.0.0.1:$admin" --certs "$certs" --name ops)
until [ -f "$out/coordinator/history.json" ] && python3 -c "import json,sys; h=json.load(open('$out/coordinator/history.json')); sys.exit(0 if len(h['rounds']) >= $at else 1)" 2>/dev/null; do
  if ! kill -0 "${pids[0]}" 2>/dev/null; then echo "the coordinator stopped: see $out/coordinator.log"; exit 1; fi
  sleep 1
done
"$here/fedge" models compare 1 "$at" --clients 10 "${admin_args[@]}"
until grep -q "A/B evaluation 1:" "$out/coordinator.log"; do sleep 1; done
"$here/fedge" models compare "$((at - 1))" "$at" --clients 10 "${admin_args[@]}"
until grep -q "A/B evaluation 2:" "$out/coordinator.log"; do sleep 1; done
"$here/fedge" models comparisons "${admin_args[@]}"
"$here/fedge" models list "${admin_args[@]}" | awk -v a="$at" 'NR == 1 || $1 == 1 || $1 == a || $1 == a - 1'
