#!/usr/bin/env bash
# Regenerates the fasttext_model fuzz target's seeds (corpus/fasttext_model):
# tiny real models trained by classifyd-train on the first headlines of the
# THUCNews dev set (/work/shared/data, see models/build_corpus.py), in each
# shape the plugin may meet (dense, quantised with and without norms,
# pruned, hierarchical softmax, one-vs-all, character n-grams), plus
# truncated and bit-flipped copies. Small enough to commit; the bundled
# 3.4 MB model is added by run_fuzzers.sh at run time.
#
#   tests/fuzz/make_model_seeds.sh [BUILD_DIR]    (default build/release)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TRAIN="${1:-$ROOT/build/release}/bin/classifyd-train"
DATA=/work/shared/data/thucnews_titles_10class/649453932
OUT="$ROOT/tests/fuzz/corpus/fasttext_model"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# dev.txt is "text<TAB>class index"; class.txt names index i on line i+1.
head -n 40 "$DATA/dev.txt" | awk -F'\t' -v classes="$DATA/class.txt" '
  BEGIN { while ((getline name < classes) > 0) label[n++] = name }
  { print label[$2] "\t" $1 }' > "$WORK/train.tsv"

train() {  # NAME FLAGS...
  local name="$1"; shift
  "$TRAIN" train -i "$WORK/train.tsv" -o "$WORK/$name.bin" --dim 4 \
    --epoch 2 --min-count 1 --thread 1 --seed 1 --verbose 0 "$@" > /dev/null 2>&1
}
quantize() {  # MODEL NAME FLAGS...
  local model="$1" name="$2"; shift 2
  "$TRAIN" quantize -m "$WORK/$model.bin" -o "$WORK/$name.ftz" --dsub 2 \
    --verbose 0 "$@" > /dev/null 2>&1
}
train dense --word-ngrams 2 --bucket 256
train subwords --word-ngrams 1 --bucket 32 --minn 2 --maxn 3
train hs --loss hs --word-ngrams 2 --bucket 16
train ova --loss ova --word-ngrams 3 --bucket 16
quantize dense quant --no-qnorm
quantize dense quant_qnorm
quantize dense pruned --cutoff 300

mkdir -p "$OUT"
rm -f "$OUT"/*
for f in "$WORK"/*.bin "$WORK"/*.ftz; do cp "$f" "$OUT/"; done
# Damaged copies: cut in the header, the dictionary and the matrices, and
# single bytes flipped in the dictionary counts and the matrix sizes.
for model in dense.bin quant.ftz; do
  size=$(stat -c %s "$OUT/$model")
  for cut in 60 200 $((size / 2)) $((size - 1)); do
    head -c "$cut" "$OUT/$model" > "$OUT/${model%.*}.cut$cut"
  done
  for at in 64 68 100 $((size / 3)); do
    python3 - "$OUT/$model" "$at" "$OUT/${model%.*}.flip$at" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[int(sys.argv[2])] ^= 0x40
open(sys.argv[3], "wb").write(data)
PY
  done
done
ls -l "$OUT"
