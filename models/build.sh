#!/bin/bash
# Rebuilds the bundled models from the public sets in shared/data, in one
# command:
#
#   corpus (build_corpus.py) and dev sets (devsets/build.py)
#   -> train (.bin) -> quantise (.ftz) -> calibrate (calibrate.py) -> evaluate
#   -> models/news-topics/{model.ftz,calibration.tsv,metrics.json,MODEL.md},
#      models/news-topics-en/{model.ftz,calibration.tsv} (English) and
#      models/lexicon/calibration.tsv (the rules' scores as probabilities)
#
# Usage: models/build.sh [--data DIR] [--build-dir DIR] [--tune] [--tune-quant]
#
#   --data DIR       shared/data (read only). Default: <repo>/../shared/data
#   --build-dir DIR  CMake build tree holding bin/classifyd-train; configured
#                    and built with ninja if needed. Default:
#                    <repo>/build/release. Derived files go to DIR/models/.
#   --tune           also rerun the hyper-parameter comparison
#                    (models/news-topics/tuning.tsv; ~25 extra minutes on one
#                    core). Without it the committed table is reused.
#   --tune-quant     also rerun the quantisation comparison
#                    (models/news-topics/quant.tsv; ~10 extra minutes).
#
# Relative paths are taken from the current directory. Training uses one
# thread and a fixed seed, so the same data and binaries give a
# byte-identical model.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
data=$root/../shared/data
build=$root/build/release
tune=0
tune_quant=0

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "build.sh: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --data) [[ $# -ge 2 ]] || die "--data needs a value"; data=$2; shift 2 ;;
    --data=*) data=${1#*=}; shift ;;
    --build-dir) [[ $# -ge 2 ]] || die "--build-dir needs a value"; build=$2; shift 2 ;;
    --build-dir=*) build=${1#*=}; shift ;;
    --tune) tune=1; shift ;;
    --tune-quant) tune_quant=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
[[ -d $data ]] || die "no data directory '$data' (use --data)"
data=$(cd "$data" && pwd)
mkdir -p "$build"
build=$(cd "$build" && pwd)

# Extra build_corpus.py flags: row weighting (`--repeat SET=N`). The
# hand-labelled CCTV stories count five times, so their 3,600 rows can teach
# the labelling conventions of current news against 140,000 others (MODEL.md,
# "Hand-labelled current stories"); THUCNews x2 costs TNEWS its target.
CORPUS_FLAGS="--repeat cctv_hand=5"
# The shipped model's hyper-parameters, chosen with --tune (see MODEL.md).
TRAIN_FLAGS="--loss ova --lr 0.5 --epoch 10 --dim 50 --word-ngrams 3 --min-count 1 --bucket 2000000"
QUANT_FLAGS="--cutoff 150000 --dsub 1 --qnorm"
# The English model: few documents, whole words and their character n-grams.
EN_TRAIN_FLAGS="--loss ova --lr 0.5 --epoch 30 --dim 50 --word-ngrams 1 --minn 3 --maxn 5 --min-count 1 --bucket 500000"
EN_QUANT_FLAGS="--cutoff 50000 --dsub 2 --qnorm"
# Calibration sets: held-out gold headlines, and the hand-labelled current
# CCTV sample counted ten times so 2016-2019 headlines do not drown it.
CALIB_SETS="--set corpus/valid.tsv --set 10:devsets/cctv_calib.lead.tsv"
# Reproducibility: fastText's hogwild training is only deterministic on one
# thread.
COMMON_FLAGS="--thread 1 --seed 0"

python=/usr/bin/python3
out=$here/news-topics
work=$build/models
corpus=$work/corpus
mkdir -p "$work" "$out"
timings=$work/timings.tsv
: >"$timings"
t0=$(date +%s)
stamp() { date +%s; }
record() { echo -e "$1\t$2" >>"$timings"; }

# 1. The trainer.
start=$(stamp)
if [[ ! -f $build/build.ninja ]]; then
  echo "== configuring $build" >&2
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
fi
echo "== building classifyd-train" >&2
ninja -C "$build" classifyd-train classifyd-lexicon >&2
bin=$build/bin/classifyd-train
[[ -x $bin ]] || die "no $bin after the build"
record build_tool "$(( $(stamp) - start ))"

# 2. Corpus.
echo "== corpus from $data" >&2
start=$(stamp)
# shellcheck disable=SC2086
"$python" "$here/build_corpus.py" --data "$data" --out "$corpus" \
  $CORPUS_FLAGS >&2
"$python" "$here/build_corpus.py" --data "$data" --out "$work/corpus-en" \
  --sets ag_news,bbc,sib200_en --salt classifyd-news-topics-en-1 >&2
"$python" "$here/devsets/build.py" --data "$data" --out "$work/devsets" >&2
record corpus "$(( $(stamp) - start ))"

sets="nlpcc2017 clue_tnews fewclue_tnews thucnews duee cec toutiao sib200"
# Evaluations run in $work with relative paths, so that the JSON written
# (and committed as metrics.json) names no build-machine paths.
split_tests() {  # split_tests valid|test -> -t flags for classifyd-train eval
  local split=$1 s
  echo "-t all=corpus/$split.tsv"
  for s in $sets; do echo "-t $s=corpus/sets/$s.$split.tsv"; done
  if [[ $split == test ]]; then  # The hand-labelled current news, and scripts.
    echo "-t cctv2023=devsets/cctv2023.lead.tsv"
    echo "-t cctv2023_headlines=devsets/cctv2023.title.tsv"
    echo "-t cctv2023_check=devsets/cctv2023_check.lead.tsv"
    echo "-t cctv2023_check_headlines=devsets/cctv2023_check.title.tsv"
    echo "-t sib200_traditional=devsets/sib200.zho_Hant.test.tsv"
  fi
}

# 3. Optional comparisons (on the valid split).
if [[ $tune == 1 ]]; then
  echo "== hyper-parameter comparison" >&2
  start=$(stamp)
  "$here/tune.sh" "$bin" "$corpus" "$work/tune" "$out/tuning.tsv"
  record tune "$(( $(stamp) - start ))"
fi

# 4. Train the full model.
echo "== training" >&2
start=$(stamp)
# shellcheck disable=SC2086
"$bin" train -i "$corpus/train.tsv" -o "$work/model.bin" --verbose 0 \
  $TRAIN_FLAGS $COMMON_FLAGS >&2
# shellcheck disable=SC2086
"$bin" train -i "$work/corpus-en/train.tsv" -o "$work/model-en.bin" \
  -q "$work/model-en.ftz" --verbose 0 $EN_TRAIN_FLAGS $EN_QUANT_FLAGS \
  $COMMON_FLAGS >&2
record train "$(( $(stamp) - start ))"

if [[ $tune_quant == 1 ]]; then
  echo "== quantisation comparison" >&2
  qtable=$work/quant.tsv
  rm -f "$qtable"
  # name | what | quantize flags ("none": the unquantised model)
  for entry in \
    "full|not quantised (.bin)|none" \
    "c50k|cutoff 50k|--cutoff 50000 --dsub 2 --qnorm" \
    "c100k|cutoff 100k|--cutoff 100000 --dsub 2 --qnorm" \
    "c200k|cutoff 200k|--cutoff 200000 --dsub 2 --qnorm" \
    "c100k-dsub4|cutoff 100k, dsub 4|--cutoff 100000 --dsub 4 --qnorm" \
    "c100k-dsub1|cutoff 100k, dsub 1|--cutoff 100000 --dsub 1 --qnorm" \
    "c150k-dsub1|cutoff 150k, dsub 1|--cutoff 150000 --dsub 1 --qnorm" \
    "c100k-noqnorm|cutoff 100k, no qnorm|--cutoff 100000 --dsub 2 --no-qnorm" \
    "c100k-rt|cutoff 100k, retrain 10 epochs lr 0.05|--cutoff 100000 --dsub 2 --qnorm --retrain --retrain-epoch 10 --retrain-lr 0.05" \
    "c100k-rt-lr0.5|cutoff 100k, retrain 10 epochs lr 0.5|--cutoff 100000 --dsub 2 --qnorm --retrain --retrain-epoch 10 --retrain-lr 0.5"; do
    IFS='|' read -r name what qflags <<<"$entry"
    qs=$(stamp)
    if [[ $qflags == none ]]; then
      model=$work/model.bin
    else
      model=$work/quant-$name.ftz
      # shellcheck disable=SC2086
      "$bin" quantize -m "$work/model.bin" -i "$corpus/train.tsv" \
        -o "$model" --verbose 0 $qflags --thread 1 >&2
    fi
    # shellcheck disable=SC2046
    (cd "$work" && "$bin" eval -m "$model" $(split_tests valid) \
      --json "quant-$name.json" --quiet >&2)
    "$python" "$here/write_card.py" tune-row --name "$name" --what "$what" \
      --flags "$qflags" --seconds "$(( $(stamp) - qs ))" \
      --eval "$work/quant-$name.json" --table "$qtable"
    [[ $qflags == none ]] || rm -f "$model"
  done
  cp "$qtable" "$out/quant.tsv"
fi

# 5. Quantise.
echo "== quantising" >&2
start=$(stamp)
# shellcheck disable=SC2086
"$bin" quantize -m "$work/model.bin" -i "$corpus/train.tsv" \
  -o "$work/model.ftz" --verbose 0 $QUANT_FLAGS --thread 1 >&2
record quantize "$(( $(stamp) - start ))"

# 5b. Calibrate every bundled classifier's scores (run in $work, so the
# files name no build-machine paths). The fastText models get one curve for
# every label, which keeps their ranking (MODEL.md, "Experiments": a curve
# per label ranked worse on most held-out sets), in two parts: one for a
# document's top label and one, never above it, for the others (MODEL.md,
# "Calibration"). The lexicon's rules get a curve per label.
echo "== calibrating" >&2
start=$(stamp)
# shellcheck disable=SC2086
(cd "$work" &&
  "$python" "$here/calibrate.py" fasttext --pooled --by-rank --model model.ftz \
    --train-bin "$bin" $CALIB_SETS --out calibration.tsv >&2 &&
  "$python" "$here/calibrate.py" fasttext --pooled --by-rank --model model-en.ftz \
    --train-bin "$bin" --set corpus-en/valid.tsv --out calibration-en.tsv >&2 &&
  "$python" "$here/calibrate.py" lexicon --rules "$here/lexicon/rules.toml" \
    --lexicon-bin "$build/bin/classifyd-lexicon" \
    --set corpus/valid.tsv --set 10:devsets/cctv_calib.lead.tsv \
    --set 10:devsets/toutiao_world.tsv \
    --min-positives 20 --out calibration-lexicon.tsv >&2)
record calibrate "$(( $(stamp) - start ))"
"$python" "$here/weak/measure.py" --data "$data" --json "$work/weak.json" >&2

# 6. Evaluate on the held-out test split: the shipped .ftz, and the .bin to
# show what quantisation costs.
echo "== evaluating" >&2
start=$(stamp)
# shellcheck disable=SC2046
(cd "$work" && "$bin" eval -m model.ftz $(split_tests test) \
  --json eval-test.json >eval-test.txt)
# shellcheck disable=SC2046
(cd "$work" && "$bin" eval -m model.bin $(split_tests test) \
  --json eval-test-full.json --quiet >&2)
"$bin" predict -m "$work/model.ftz" -k 3 --threshold 0.1 \
  <"$out/sanity_headlines.txt" >"$work/sanity.tsv"
record eval "$(( $(stamp) - start ))"
record total "$(( $(stamp) - t0 ))"

# 7. Ship.
cp "$work/model.ftz" "$out/model.ftz"
cp "$work/calibration.tsv" "$out/calibration.tsv"
mkdir -p "$here/news-topics-en"
cp "$work/model-en.ftz" "$here/news-topics-en/model.ftz"
cp "$work/calibration-en.tsv" "$here/news-topics-en/calibration.tsv"
cp "$work/calibration-lexicon.tsv" "$here/lexicon/calibration.tsv"
cp "$work/eval-test.json" "$out/metrics.json"
"$python" "$here/write_card.py" card \
  --template "$here/model_card.md.in" \
  --corpus-stats "$corpus/stats.json" \
  --eval "$work/eval-test.json" --eval-full "$work/eval-test-full.json" \
  --tuning "$out/tuning.tsv" --quant "$out/quant.tsv" \
  --sanity "$work/sanity.tsv" --timings "$timings" --weak "$work/weak.json" \
  --train-flags "$TRAIN_FLAGS $COMMON_FLAGS" \
  --quant-flags "$QUANT_FLAGS --thread 1" \
  --out "$out/MODEL.md"

cat "$work/eval-test.txt" | sed -n '1,4p'
echo "build.sh: wrote $out/model.ftz ($(stat -c %s "$out/model.ftz") bytes, sha256 $(sha256sum "$out/model.ftz" | cut -c1-16)) and $out/MODEL.md in $(( $(stamp) - t0 )) s" >&2
