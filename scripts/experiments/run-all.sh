#!/usr/bin/env bash
# The experiments behind the figures of issues 5–7: every scenario on ../shared/data/fsdd (CNN, and
# ResNet18 for QPAudioEraser) and the paper's accent scenario on the synthetic accents. Two chains run
# side by side, one thread each. Each scenario writes report.md/.csv/.html and results.json into its
# folder under $OUT; rerunning resumes (finished runs are skipped).
#
#   scripts/experiments/run-all.sh [ORIGINAL_CNN.safetensors]
#
# A model trained with the same recipe and seed is the same model, so a finished original (argument 1,
# or the first scenario's) and a finished retraining of the same forget set are copied into later
# folders instead of being trained again.
set -euo pipefail
cd "$(dirname "$0")/../.."
QPAE=${QPAE:-.build/release/qpae}
OUT=${OUT:-experiments}
FSDD=${FSDD:-../shared/data/fsdd}
HERE=scripts/experiments
export QPAE_THREADS=${QPAE_THREADS:-1}
mkdir -p "$OUT"

# reuse FROM_FOLDER TO_FOLDER [RUN_FILE...]: the original model and the named runs (with their models).
reuse() {
  local from=$1 to=$2; shift 2
  mkdir -p "$to/models/seed-0"
  [[ -f "$from/models/seed-0/original.safetensors" ]] && cp -n "$from/models/seed-0/original.safetensors" "$to/models/seed-0/"
  for file in "$@"; do
    [[ -f "$from/$file" ]] || continue
    mkdir -p "$(dirname "$to/$file")"
    cp -n "$from/$file" "$to/$file"
  done
}

experiment() {  # experiment NAME ARGS...
  local name=$1; shift
  echo "== $name"
  local start=$SECONDS
  "$QPAE" experiment --out "$OUT/$name" "$@" > "$OUT/$name.log" 2> "$OUT/$name.progress"
  echo "   $name: $((SECONDS - start)) s"
}

if [[ -n "${1:-}" ]]; then mkdir -p "$OUT/fsdd-cnn-single/models/seed-0"; cp -n "$1" "$OUT/fsdd-cnn-single/models/seed-0/original.safetensors"; fi
for name in fsdd-cnn-qpae-multi fsdd-cnn-qpae-sequence; do reuse "$OUT/fsdd-cnn-single" "$OUT/$name"; done

chain_a() {
  experiment fsdd-cnn-single --preset paper-single --data "$FSDD"
  reuse "$OUT/fsdd-cnn-single" "$OUT/fsdd-cnn-qpae-single" runs/seed-0/set-1/retrain.json
  experiment fsdd-cnn-qpae-single --scenario $HERE/fsdd-qpae-single.json
  reuse "$OUT/fsdd-cnn-single" "$OUT/fsdd-cnn-ablation" runs/seed-0/set-1/retrain.json
  experiment fsdd-cnn-ablation --preset paper-ablation --data "$FSDD"
  reuse "$OUT/fsdd-cnn-single" "$OUT/fsdd-cnn-multi"
  experiment fsdd-cnn-multi --preset paper-multi --data "$FSDD"
  experiment accent-cnn --preset paper-accent
}

chain_b() {
  experiment fsdd-cnn-qpae-multi --scenario $HERE/fsdd-qpae-multi.json
  experiment fsdd-cnn-qpae-sequence --scenario $HERE/fsdd-qpae-sequence.json
  reuse "$OUT/fsdd-cnn-qpae-sequence" "$OUT/fsdd-cnn-sequential" \
    runs/seed-0/set-1/retrain.json runs/seed-0/set-2/retrain.json runs/seed-0/set-3/retrain.json \
    models/seed-0/retrain-request-3.safetensors   # the sequence's retraining of requests 1–3
  experiment fsdd-cnn-sequential --preset paper-sequential --data "$FSDD" --methods qpaudioeraser,ssd,bad-teacher
  # The ResNet18 recipe stops after 6 epochs without improvement (as `qpae train --patience 6`).
  experiment fsdd-resnet18-qpae-single --scenario $HERE/fsdd-resnet18-qpae-single.json
}

chain_a & a=$!
chain_b & b=$!
wait $a; wait $b
echo "reports: $OUT/*/report.md, report.html"
