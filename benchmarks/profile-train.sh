#!/usr/bin/env bash
# Where local training's time goes (issue 15): `fedge bench-train --trainers 1` for each of MODELS (mlp cnn) under
# JFR's profile settings, then benchmarks/jfr-steps.py on each recording (Java against native time on the training
# thread, native ops by the DL4J method that ran them). Recordings and summaries in OUT.
#
#   benchmarks/profile-train.sh [OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$here/runs/profile-train}")"
"$here/fedge" --version >/dev/null
mkdir -p "$out"
for model in ${MODELS:-mlp cnn}; do
  FEDGE_JAVA_OPTS="-Xmx4g -XX:+UseParallelGC -XX:StartFlightRecording=settings=profile,filename=$out/$model.jfr" \
    "$here/fedge" bench-train --models "$model" --trainers 1 --runs 3 --seconds 5 2>/dev/null | tee "$out/$model.txt"
  python3 "$here/benchmarks/jfr-steps.py" "$out/$model.jfr" | tee -a "$out/$model.txt"
done
