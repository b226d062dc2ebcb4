#!/bin/bash
# Hyper-parameter comparison for the news-topics model: trains one model per
# configuration on the combined train split and evaluates it on the valid
# splits (never on test). Each row changes one thing from the baseline.
# Writes a TSV that write_card.py renders into MODEL.md.
#
#   models/tune.sh TRAIN_BIN CORPUS_DIR WORK_DIR OUT_TSV [NAME...]
#
# With NAME arguments only those configurations run (their rows replace the
# old ones in OUT_TSV). Called by `models/build.sh --tune`; takes ~20 min on
# one core.
set -euo pipefail

if [[ $# -lt 4 ]]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
bin=$1 corpus=$2 work=$3 out=$4
shift 4
only=("$@")
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"

sets="nlpcc2017 clue_tnews fewclue_tnews thucnews duee cec"
base="--loss softmax --lr 0.5 --epoch 25 --dim 100 --word-ngrams 2 --min-count 1 --bucket 2000000"

# name | what changes | classifyd-train train flags
configs=(
  "baseline|baseline|$base"
  "ngram1|word n-grams 1 (characters only)|$base --word-ngrams 1"
  "ngram3|word n-grams 3|$base --word-ngrams 3"
  "dim50|dim 50|$base --dim 50"
  "dim200|dim 200|$base --dim 200"
  "epoch5|epoch 5|$base --epoch 5"
  "epoch10|epoch 10|$base --epoch 10"
  "lr0.2|lr 0.2|$base --lr 0.2"
  "lr1.0|lr 1.0|$base --lr 1.0"
  "ova|loss ova (one-vs-all)|$base --loss ova"
  "ova-e10|loss ova, epoch 10|$base --loss ova --epoch 10"
  "bucket500k|bucket 500k|$base --bucket 500000"
  "mincount2|minCount 2|$base --min-count 2"
  # Second round: combine the changes that helped.
  "ova-e5|loss ova, epoch 5|$base --loss ova --epoch 5"
  "ova-e10-lr0.2|loss ova, epoch 10, lr 0.2|$base --loss ova --epoch 10 --lr 0.2"
  "ova-e10-ng3|loss ova, epoch 10, word n-grams 3|$base --loss ova --epoch 10 --word-ngrams 3"
  "ova-e10-ng3-dim50|loss ova, epoch 10, word n-grams 3, dim 50|$base --loss ova --epoch 10 --word-ngrams 3 --dim 50"
)

wanted() {
  [[ ${#only[@]} -eq 0 ]] && return 0
  local n
  for n in "${only[@]}"; do [[ $n == "$1" ]] && return 0; done
  return 1
}

tmp_out=$(mktemp)
trap 'rm -f "$tmp_out"' EXIT
if [[ -f $out && ${#only[@]} -gt 0 ]]; then
  cp "$out" "$tmp_out"
fi
for entry in "${configs[@]}"; do
  IFS='|' read -r name what flags <<<"$entry"
  wanted "$name" || continue
  echo "tune: $name ($what)" >&2
  tests=(-t "all=$corpus/valid.tsv")
  for s in $sets; do tests+=(-t "$s=$corpus/sets/$s.valid.tsv"); done
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$bin" train -i "$corpus/train.tsv" -o "$work/$name.bin" --thread 1 \
    --verbose 0 $flags
  end=$(date +%s.%N)
  "$bin" eval -m "$work/$name.bin" "${tests[@]}" --json "$work/$name.json" \
    --quiet >&2
  rm -f "$work/$name.bin"
  /usr/bin/python3 "$here/write_card.py" tune-row --name "$name" \
    --what "$what" --flags "$flags" \
    --seconds "$(/usr/bin/python3 -c "print(round($end - $start, 1))")" --eval "$work/$name.json" \
    --table "$tmp_out"
done
mv "$tmp_out" "$out"
chmod 644 "$out"
trap - EXIT
echo "tune: wrote $out" >&2
