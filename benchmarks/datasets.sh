#!/usr/bin/env bash
# Your data (issue 12): fedge on data other than its built-in Fashion-MNIST files. Figures in
# docs/benchmarks.md, "Your data (issue 12)"; accuracy figures, not timings.
#
#   benchmarks/datasets.sh images [OUT]   run A (fedge simulate's defaults: mlp, iid, 10 clients,
#                                         10 rounds, seed 1) through the IDX reader and through the
#                                         image-folder reader on Fashion-MNIST written out as PNG
#                                         files (fedge data export-png, under OUT/fmnist-png);
#                                         prints both final accuracies and whether the final
#                                         models are the same bytes
#   benchmarks/datasets.sh sklearn [OUT]  scikit-learn's digits and breast_cancer tables through the
#                                         CSV reader, a seeded 20% test split, each federated over 10
#                                         clients and trained centrally (1 client holding the whole
#                                         training split) for the same rounds x local epochs
#
# The sklearn tables are Debian's python3-sklearn files
# (sudo apt-get install -y python3-sklearn; SKLEARN_DATA overrides the folder). ROUNDS (default 20
# for sklearn), SEED (1) in the environment. Runs' folders and logs go under OUT (default runs/datasets).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
what="${1:?usage: datasets.sh images|sklearn [OUT]}"
out="${2:-runs/datasets}"
mkdir -p "$out"
"$here/fedge" --version >/dev/null   # builds on first use
seed=${SEED:-1}

final() { # the summary line and the last round's accuracy and macro-F1 from history.json
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1] + "/history.json"))
r = d["rounds"][-1]
print("  final test accuracy %.4f, macro-F1 %.4f, after %d rounds" % (r["test_accuracy"], r["evaluation"]["macro_f1"], r["round"]))
PY
}

case "$what" in
  images)
    png="$out/fmnist-png"
    if [ ! -d "$png/train" ]; then
      nice -n 5 "$here/fedge" data export-png --out "$png"
    fi
    nice -n 5 "$here/fedge" simulate --seed "$seed" --no-progress --out "$out/a-idx" > "$out/a-idx.log" 2>&1
    echo "A through the IDX reader:"; final "$out/a-idx"
    nice -n 5 "$here/fedge" simulate --seed "$seed" --no-progress --data-format images --train "$png/train" \
      --test "$png/test" --out "$out/a-images" > "$out/a-images.log" 2>&1
    echo "A through the image-folder reader:"; final "$out/a-images"
    if cmp -s "$out/a-idx/global-model.fgm" "$out/a-images/global-model.fgm"; then
      echo "the final models are the same bytes"
    else
      echo "the final models differ"
      exit 1
    fi
    ;;
  sklearn)
    sk="${SKLEARN_DATA:-/usr/lib/python3/dist-packages/sklearn/datasets/data}"
    if [ ! -f "$sk/digits.csv.gz" ]; then
      echo "datasets.sh: $sk/digits.csv.gz not found; install it with 'sudo apt-get install -y python3-sklearn'" >&2
      exit 2
    fi
    rounds=${ROUNDS:-20}
    common=(--data-format csv --test-fraction 0.2 --scale standard --lr 0.1 --batch 16 --local-epochs 1
            --rounds "$rounds" --seed "$seed" --no-progress)
    # digits.csv.gz: 1,797 rows of 64 pixel values (0-16) and the digit; no header
    # breast_cancer.csv: a first line of counts and class names (569,30,malignant,benign), then 30
    # measurements and the class (0 malignant, 1 benign)
    for set in digits breast_cancer; do
      if [ "$set" = digits ]; then data=(--train "$sk/digits.csv.gz"); else data=(--train "$sk/breast_cancer.csv" --skip-lines 1); fi
      for clients in 10 1; do
        label="$set-$clients"
        nice -n 5 "$here/fedge" simulate "${common[@]}" "${data[@]}" --clients "$clients" --out "$out/$label" \
          > "$out/$label.log" 2>&1
        if [ "$clients" = 1 ]; then echo "$set, centrally (1 client):"; else echo "$set, federated over $clients clients (iid):"; fi
        final "$out/$label"
      done
    done
    ;;
  *)
    echo "usage: datasets.sh images|sklearn [OUT]" >&2
    exit 2
    ;;
esac
