#!/usr/bin/env bash
# Issue 6's quality experiment on the Free Spoken Digit Dataset: train, retrain without a speaker,
# forget that speaker with QPAudioEraser (the authors' setting and a time budget), two speakers at
# once, three requests in sequence, and the ablation switches. Every step writes a JSON and a
# Markdown report into $OUT; rerunning skips steps whose report exists.
#
#   scripts/experiments/fsdd-forget.sh [cnn|resnet18] [OUT]
set -euo pipefail
MODEL=${1:-cnn}
OUT=${2:-experiments/fsdd-$MODEL}
DATA=${DATA:-../shared/data/fsdd}
QPAE=${QPAE:-.build/release/qpae}
RECIPE=(--epochs 30 --patience 8 --seed 0)
mkdir -p "$OUT"

step() {  # step NAME COMMAND...: run COMMAND unless $OUT/NAME.json exists; log to $OUT/NAME.log
  local name=$1; shift
  if [[ -f "$OUT/$name.json" ]]; then echo "skip $name"; return; fi
  echo "== $name: $*"
  local start=$SECONDS
  "$@" --json "$OUT/$name.json" --markdown "$OUT/$name.md" > "$OUT/$name.log"
  echo "   $name: $((SECONDS - start)) s"
}

step original  "$QPAE" train --data "$DATA" --model "$MODEL" "${RECIPE[@]}" --out "$OUT/original.safetensors" --overwrite
step retrain-0 "$QPAE" train --data "$DATA" --model "$MODEL" "${RECIPE[@]}" --exclude 0 --out "$OUT/retrain-0.safetensors" --overwrite
step retrain-0-4 "$QPAE" train --data "$DATA" --model "$MODEL" "${RECIPE[@]}" --exclude 0 --exclude 4 --out "$OUT/retrain-0-4.safetensors" --overwrite

forget() {  # forget NAME INPUT CLASSES... -- OPTIONS...
  local name=$1 input=$2; shift 2
  step "$name" "$QPAE" forget --model "$OUT/$input.safetensors" --out "$OUT/$name.safetensors" --overwrite "$@"
}
forget authors-0  original --forget 0
forget budget-0   original --forget 0 --epochs 1 --retain-fraction 0.25
forget retained-uniform-0 original --forget 0 --epochs 1 --retain-fraction 0.25 --forget-target retained-uniform
forget authors-0-4 original --forget 0 --forget 4
forget sequence-1 original   --forget 0 --epochs 1 --retain-fraction 0.25
forget sequence-2 sequence-1 --forget 1 --epochs 1 --retain-fraction 0.25
forget sequence-3 sequence-2 --forget 2 --epochs 1 --retain-fraction 0.25
forget without-interference-0 original --forget 0 --without interference
forget without-entropy-0      original --forget 0 --without entropy
forget without-mixing-0       original --forget 0 --without mixing
forget without-fine-tune-0    original --forget 0 --without fine-tune
forget lambda-0.5-0           original --forget 0 --lambda 0.5
forget lambda-2-0             original --forget 0 --lambda 2
