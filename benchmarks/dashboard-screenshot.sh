#!/usr/bin/env bash
# Takes docs/dashboard.png: the coordinator's dashboard in Debian's headless Chromium (through
# the dashboard module's Playwright driver and an administrator's certificate) during a real
# run: `fedge coordinator` over mutual TLS with edge models and a canary, 10 `fedge swarm`
# clients training the mlp on Fashion-MNIST, and `fedge edge-fleet` devices reporting telemetry.
#
#   benchmarks/dashboard-screenshot.sh [OUT.png] [ROUNDS-SHOWN]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shot="$(realpath -m "${1:-$here/docs/dashboard.png}")"
shown=${2:-12}
"$here/fedge" --version >/dev/null
# shellcheck source=lib.sh
source "$here/benchmarks/lib.sh"
work="$(mktemp -d)"
cleanup_paths+=("$work")
certs="$work/certs"
"$here/fedge" certs init --dir "$certs" --names 127.0.0.1,localhost >/dev/null
"$here/fedge" certs admin --dir "$certs" --name ops >/dev/null
ids=(); for k in $(seq 0 9); do ids+=(--id "$(printf 'swarm-%04d' "$k")"); done
"$here/fedge" certs client --dir "$certs" "${ids[@]}" >/dev/null
port=$(free_port); edge=$(free_port); admin=$(free_port)
"$here/fedge" coordinator --certs "$certs" --host 127.0.0.1 --port "$port" --model mlp --rounds 500 --min-clients 10 \
  --edge-every 4 --edge-student none --edge-transfer 2000 --edge-port "$edge" --canary 0.1 --admin-port "$admin" \
  --out "$work/coordinator" >"$work/coordinator.log" 2>&1 &
pids+=($!)
"$here/fedge" swarm --coordinator "127.0.0.1:$port" --certs "$certs" --clients 10 --examples 1000 >"$work/swarm.log" 2>&1 &
pids+=($!)
until grep -q "is stable: the first edge model" "$work/coordinator.log"; do sleep 1; done
"$here/fedge" edge-fleet --url "https://127.0.0.1:$edge" --key "$certs/model-signing.pub" --ca "$certs/ca.crt" \
  --devices 300 --max-inferences 100000000 >"$work/fleet.log" 2>&1 &
pids+=($!)
node "$here/dashboard/src/test/e2e/dashboard.mjs" --url "https://127.0.0.1:$admin/" \
  --cert "$certs/admins/ops.crt" --key "$certs/admins/ops.key" --ca "$certs/ca.crt" \
  --screenshot "$shot" --min-rounds "$shown"
echo "wrote $shot"
