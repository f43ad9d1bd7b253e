#!/usr/bin/env bash
# fedge new, for real: install fedge's artifacts into the local Maven repository, generate a
# project with fedge new, build it offline against them, and run its federation for one round:
# the project's Main writes MyModel, ./fedge coordinator runs from the project's federation.yaml,
# and two of the project's clients join it.
#
#   benchmarks/fedge-new.sh [DIR]          (DIR: where the project goes; default a new temp folder)
#
# MAVEN_REPO_LOCAL=/path uses that local repository instead of ~/.m2/repository (for example a
# copy, to keep ~/.m2 as it is). Needs the Fashion-MNIST IDX files in /usr/share/datasets/fashion-mnist.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo=()
if [ -n "${MAVEN_REPO_LOCAL:-}" ]; then
  repo=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
fi
dir="${1:-$(mktemp -d)/fedge-new-trial}"
port="${FEDGE_NEW_PORT:-7391}"

echo "== mvn install of fedge (${MAVEN_REPO_LOCAL:-~/.m2/repository})"
(cd "$here" && mvn -B -q install -DskipTests "${repo[@]}")

echo "== fedge new $dir"
"$here/fedge" new "$dir" --package com.example.trial --name fedge-new-trial

echo "== mvn -o package in $dir"
(cd "$dir" && mvn -B -q -o package "${repo[@]}")
cp=("target/fedge-new-trial.jar:target/lib/*")

cd "$dir"
export OMP_NUM_THREADS=1
java() { command java -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dorg.bytedeco.javacpp.maxBytes=0 "$@"; }
java -cp "${cp[0]}" com.example.trial.Main model model.fgm --insecure
"$here/fedge" coordinator --config federation.yaml --rounds 1 --port "$port" --insecure > coordinator.log 2>&1 &
coordinator=$!
trap 'kill "$coordinator" 2>/dev/null || true' EXIT
for i in 0 1; do
  java -cp "${cp[0]}" com.example.trial.Main connect "127.0.0.1:$port" --id "client-00$i" --part "$i/10" --insecure \
      > "client-$i.log" 2>&1 &
  clients[i]=$!
done
status=0
for i in 0 1; do
  wait "${clients[i]}" || status=1
  tail -1 "client-$i.log"
done
wait "$coordinator" || status=1
trap - EXIT
grep -E "^ +1 |federation finished" coordinator.log || true
if [ "$status" -ne 0 ]; then
  echo "fedge-new.sh: a process failed; logs in $dir" >&2
fi
exit "$status"
