#!/usr/bin/env bash
# What the admin endpoint costs (issue 13), on an otherwise idle machine:
#
#   benchmarks/admin-cost.sh rounds [OUT]   median round time of a federation (fedge coordinator over mutual TLS,
#                                           10 fedge swarm clients, mlp, 1,000 images each, ROUNDS rounds) without
#                                           the admin endpoint, and with it while a dashboard's event stream is open
#                                           and /metrics is scraped every second; runs alternate (off, on, off, on)
#   benchmarks/admin-cost.sh scrape [OUT]   time of GET /metrics and GET /api/status (curl, a new TLS connection
#                                           each, SCRAPES times) with CLIENTS (default 2,000) clients connected
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
what="${1:?usage: admin-cost.sh rounds|scrape [OUT]}"
out="$(realpath -m "${2:-$here/runs/admin-cost}/$what")"
"$here/fedge" --version >/dev/null
# shellcheck source=lib.sh
source "$here/benchmarks/lib.sh"
freeze_build
rm -rf "$out" && mkdir -p "$out"
certs="$out/certs"
clients=${CLIENTS:-2000}
"$here/fedge" certs init --dir "$certs" --names 127.0.0.1,localhost >/dev/null
"$here/fedge" certs admin --dir "$certs" --name ops >/dev/null
n=$([ "$what" = scrape ] && echo "$clients" || echo 10)
ids=(); for k in $(seq 0 $((n - 1))); do ids+=(--id "$(printf 'swarm-%04d' "$k")"); done
"$here/fedge" certs client --dir "$certs" "${ids[@]}" >/dev/null
curl_admin() { curl -s --cert "$certs/admins/ops.crt" --key "$certs/admins/ops.key" --cacert "$certs/ca.crt" "$@"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

if [ "$what" = rounds ]; then
  rounds=${ROUNDS:-20}
  for run in off on off on; do
    dir="$out/$run-$RANDOM"
    port=$(free_port); admin=$(free_port)
    extra=()
    [ "$run" = on ] && extra=(--admin-port "$admin")
    "$here/fedge" coordinator --certs "$certs" --host 127.0.0.1 --port "$port" --model mlp --rounds "$rounds" \
      --min-clients 10 "${extra[@]}" --out "$dir" >"$dir.log" 2>&1 &
    coord=$!
    pids+=("$coord")
    "$here/fedge" swarm --coordinator "127.0.0.1:$port" --certs "$certs" --clients 10 --examples 1000 >"$dir.swarm.log" 2>&1 &
    pids+=($!)
    watchers=()
    if [ "$run" = on ]; then
      until curl_admin -o /dev/null "https://127.0.0.1:$admin/api/status"; do sleep 0.5; done
      curl_admin -N "https://127.0.0.1:$admin/api/events" >"$dir.events" 2>/dev/null &
      watchers+=($!)
      ( while true; do curl_admin -o /dev/null "https://127.0.0.1:$admin/metrics" || true; sleep 1; done ) &
      watchers+=($!)
    fi
    wait "$coord" || true
    for w in "${watchers[@]:-}"; do kill "$w" 2>/dev/null || true; done
    med=$(python3 -c "import json; r=[x['round_seconds'] for x in json.load(open('$dir/history.json'))['rounds'] if not x.get('outcome')]; r.sort(); print(r[len(r)//2])")
    events=$([ -f "$dir.events" ] && grep -c '^event: round' "$dir.events" || echo 0)
    echo "admin endpoint $run: median round $med s over $rounds rounds (round events streamed: $events)"
  done
else
  port=$(free_port); admin=$(free_port)
  # more clients than connect: no round starts, the coordinator holds every connection
  "$here/fedge" coordinator --certs "$certs" --host 127.0.0.1 --port "$port" --model mlp --rounds 1 \
    --min-clients $((clients + 1)) --admin-port "$admin" --out "$out/coordinator" >"$out/coordinator.log" 2>&1 &
  pids+=($!)
  FEDGE_JAVA_OPTS="-Xmx4g" "$here/fedge" swarm --coordinator "127.0.0.1:$port" --certs "$certs" --clients "$clients" \
    --examples 1 >"$out/swarm.log" 2>&1 &
  pids+=($!)
  until curl_admin "https://127.0.0.1:$admin/api/status" 2>/dev/null | grep -q "\"connectedClients\":$clients"; do sleep 1; done
  scrapes=${SCRAPES:-50}
  for path in metrics api/status; do
    for i in $(seq "$scrapes"); do curl_admin -o /dev/null -w '%{time_total}\n' "https://127.0.0.1:$admin/$path"; done \
      >"$out/$(basename "$path").times"
    bytes=$(curl_admin "https://127.0.0.1:$admin/$path" | wc -c)
    echo "GET /$path with $clients clients connected: median $(median < "$out/$(basename "$path").times") s over $scrapes requests (new TLS connection each), $bytes bytes"
  done
  echo "TLS handshake + nothing: median $(for i in $(seq "$scrapes"); do curl_admin -o /dev/null -w '%{time_total}\n' "https://127.0.0.1:$admin/nothing"; done | median) s (GET of a 404)"
fi
