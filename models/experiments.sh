#!/bin/bash
# One-off corpus experiments behind decisions recorded in MODEL.md
# ("Experiments"). Not part of build.sh; nothing here is shipped.
#
#   models/experiments.sh [--data DIR] [--build-dir DIR] [--only weak]
#
# Needs a finished models/build.sh run in the same build dir (it reuses its
# classifyd-train, default corpus and the shipped hyper-parameters).
#   world:  NLPCC world / TNEWS news_world mapped to politics instead of dropped
#   fraud:  telecom-fraud SMS scripts added as `fraud`
#   weak:   weak fraud/diplomacy/weather labels from the lexicon rules
#           (models/weak_labels.py), also scored on the weakly labelled
#           valid split; `--only weak` runs just this one
# Each variant is trained like the shipped model (before quantisation) and
# scored on the default corpus's valid split, so the numbers compare with
# the "full" row of the quantisation table.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
data=$root/../shared/data
build=$root/build/release
only=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --data) data=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) sed -n '2,14p' "$0" >&2; exit 2 ;;
  esac
done
data=$(cd "$data" && pwd)
build=$(cd "$build" && pwd)
bin=$build/bin/classifyd-train
work=$build/models/experiments
base=$build/models/corpus
[[ -x $bin && -f $base/train.tsv ]] || { echo "run models/build.sh first" >&2; exit 1; }
mkdir -p "$work"
train_flags=$(sed -n 's/^TRAIN_FLAGS="\(.*\)"$/\1/p' "$here/build.sh")
sets="nlpcc2017 clue_tnews fewclue_tnews thucnews duee cec"
python=/usr/bin/python3

valid_tests() {
  echo "-t all=$base/valid.tsv"
  for s in $sets; do echo "-t $s=$base/sets/$s.valid.tsv"; done
}

run_variant() {  # run_variant NAME CORPUS_DIR [extra eval -t flags...]
  local name=$1 corpus=$2
  shift 2
  echo "== experiment $name" >&2
  # shellcheck disable=SC2086
  "$bin" train -i "$corpus/train.tsv" -o "$work/$name.bin" --verbose 0 \
    $train_flags --thread 1 --seed 0 >&2
  # shellcheck disable=SC2046
  "$bin" eval -m "$work/$name.bin" $(valid_tests) "$@" \
    --json "$work/$name.json" --quiet | tee "$work/$name.txt"
  "$bin" predict -m "$work/$name.bin" -k 3 --threshold 0.1 \
    <"$here/news-topics/sanity_headlines.txt" >"$work/$name.sanity.tsv"
}

# Weak labels from the rules for the three labels without data.
run_weak() {
  "$python" "$here/weak_labels.py" --lexicon "$build/bin/classifyd-lexicon" \
    --rules "$here/lexicon/rules.toml" --corpus "$base" \
    --out "$work/corpus-weak" >&2
  run_variant weak "$work/corpus-weak" -t "weak_valid=$work/corpus-weak/valid.tsv"
  "$python" - "$work" <<'EOF'
import json, sys
work = sys.argv[1]
weak = json.load(open("%s/weak.json" % work, encoding="utf-8"))["sets"]
ref = json.load(open("%s/reference.json" % work, encoding="utf-8"))["sets"]
print("\nvalid (gold labels)      reference        weak labels")
for s in ref:
    print("%-24s %.4f / %.4f  %.4f / %.4f" % (
        s, ref[s]["top1_accuracy"], ref[s]["macro_f1"],
        weak[s]["top1_accuracy"], weak[s]["macro_f1"]))
op = weak["weak_valid"]["operating_point"]["labels"]
for label in ("fraud", "diplomacy", "weather"):
    l = op.get(label, {})
    print("weak valid %-9s support %4d  P %.3f  R %.3f at the operating point"
          % (label, l.get("support", 0), l.get("precision", 0),
             l.get("recall", 0)))
EOF
  echo "-- sanity: weak"
  cat "$work/weak.sanity.tsv"
}

# Reference: the shipped configuration on the default corpus.
run_variant reference "$base"
if [[ $only == weak ]]; then
  run_weak
  rm -f "$work"/*.bin
  exit 0
fi

# world -> politics.
sed -e 's/^\(nlpcc2017\tworld\t\)\t/\1politics\t/' \
    -e 's/^\(clue_tnews\tnews_world\t\)\t/\1politics\t/' \
    -e 's/^\(fewclue_tnews\tnews_world\t\)\t/\1politics\t/' \
    "$here/taxonomy_mapping.tsv" >"$work/mapping-world.tsv"
"$python" "$here/build_corpus.py" --data "$data" --out "$work/corpus-world" \
  --mapping "$work/mapping-world.tsv" >&2
run_variant world "$work/corpus-world" \
  -t "world_valid=$work/corpus-world/valid.tsv"

# + telecom fraud SMS.
"$python" "$here/build_corpus.py" --data "$data" --out "$work/corpus-fraud" \
  --sets "nlpcc2017,clue_tnews,fewclue_tnews,thucnews,duee,cec,telecom_fraud" >&2
run_variant fraud "$work/corpus-fraud" \
  -t "telecom_fraud=$work/corpus-fraud/sets/telecom_fraud.valid.tsv"

# Summary.
"$python" - "$work" <<'EOF'
import json, sys
work = sys.argv[1]
def load(n):
    with open("%s/%s.json" % (work, n), encoding="utf-8") as f:
        return json.load(f)["sets"]
ref, world, fraud = load("reference"), load("world"), load("fraud")
print("\nvalid (default corpus)   reference        world->politics  +fraud SMS")
for s in ref:
    if s in ("world_valid", "telecom_fraud"):
        continue
    print("%-24s %.4f / %.4f  %.4f / %.4f  %.4f / %.4f" % (
        s, ref[s]["top1_accuracy"], ref[s]["macro_f1"],
        world[s]["top1_accuracy"], world[s]["macro_f1"],
        fraud[s]["top1_accuracy"], fraud[s]["macro_f1"]))
for name, sets in (("reference", ref), ("world", world), ("fraud", fraud)):
    a = sets["all"]
    print("%s: politics P/R top-1 %.3f/%.3f; military P/R %.3f/%.3f; "
          "fraud emitted at op on news valid: %d" % (
        name, a["top1"]["labels"]["politics"]["precision"],
        a["top1"]["labels"]["politics"]["recall"],
        a["top1"]["labels"]["military"]["precision"],
        a["top1"]["labels"]["military"]["recall"],
        a["operating_point"]["labels"].get("fraud", {}).get("predicted", 0)))
tf = fraud["telecom_fraud"]
print("fraud SMS valid: docs %d, top-1 %.4f, fraud recall at op %.3f" % (
    tf["docs"], tf["top1_accuracy"],
    tf["operating_point"]["labels"]["fraud"]["recall"]))
EOF
for n in reference world fraud; do
  echo "-- sanity: $n"
  cat "$work/$n.sanity.tsv"
done
rm -f "$work"/*.bin
