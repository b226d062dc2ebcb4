#!/usr/bin/env bash
# Builds the libFuzzer targets (build/fuzz) and runs each for SECONDS on a
# fresh copy of its seed corpus. Called by `./test.sh --fuzz SECONDS`; see
# there. Exit status 1 if any target found something.
#
#   tests/fuzz/run_fuzzers.sh SECONDS [TARGET...]
#
# CLASSIFYD_FUZZ_ARGS adds libFuzzer flags (e.g. -seed=1);
# CLASSIFYD_FUZZ_TIMEOUT sets the per-input timeout (default 10 s).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_EACH="${1:?usage: run_fuzzers.sh SECONDS [TARGET...]}"
shift
if ! [[ "$SECONDS_EACH" =~ ^[1-9][0-9]*$ ]]; then
  echo "run_fuzzers.sh: SECONDS must be a positive integer" >&2
  exit 2
fi
BUILD_DIR="$ROOT/build/fuzz"
CORPORA="$ROOT/tests/fuzz/corpus"
# Seconds one input may take before it counts as a hang.
TIMEOUT="${CLASSIFYD_FUZZ_TIMEOUT:-10}"

build_start=$SECONDS
"$ROOT/deploy/setup.sh" --build-dir "$BUILD_DIR" --fuzz
echo "fuzz: build took $((SECONDS - build_start)) s"

TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
  TARGETS=(manifest calibration config request tokenizer lexicon_rules
           fasttext_model)
fi

# Real files of the repository that belong in a target's corpus but are too
# big (or too central) to copy into tests/fuzz/corpus: added to DIR.
add_real_seeds() {  # TARGET DIR
  case "$1" in
    manifest) cp "$ROOT"/models/plugins.d/*.toml "$2/" ;;
    # The fitted calibrations of the bundled models, where there are any.
    calibration)
      local f
      for f in "$ROOT"/models/*/calibration.tsv; do
        if [[ -f "$f" ]]; then
          cp "$f" "$2/$(basename "$(dirname "$f")").tsv"
        fi
      done ;;
    # The bundled rules' fraud terms and first three patterns: the whole
    # file takes seconds to compile (2.5 s of CPU, five times that under
    # ASan), too close to the timeout on a busy machine.
    # LexiconTest.BundledRulesCompile covers all of it.
    lexicon_rules)
      local rules="$ROOT/models/lexicon/rules.toml"
      { sed -n '1,/^\[fraud.patterns\]/p' "$rules"
        sed -n '/^\[fraud.patterns\]/,/^\[fraud.exclude\]/p' "$rules" \
          | grep "^'" | head -3
      } > "$2/bundled_fraud.toml" ;;
    tokenizer) cp "$ROOT/models/news-topics/sanity_headlines.txt" "$2/" ;;
    fasttext_model) cp "$ROOT/models/news-topics/model.ftz" "$2/" ;;
  esac
}

# Longest input libFuzzer may generate: room for the seeds (the bundled
# model is 3.4 MB) and for the long inputs each parser must survive.
max_len() {
  case "$1" in
    fasttext_model) echo 4194304 ;;
    lexicon_rules) echo 32768 ;;
    tokenizer) echo 65536 ;;
    *) echo 8192 ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
printf '%-16s %12s %8s %8s %8s %s\n' target executions cov features corpus \
  findings > "$BUILD_DIR/fuzz-summary.txt"
for target in "${TARGETS[@]}"; do
  binary="$BUILD_DIR/bin/${target}_fuzzer"
  work="$BUILD_DIR/run/$target"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  if [[ -d "$CORPORA/$target" ]]; then
    cp "$CORPORA/$target"/* "$work/corpus/" 2>/dev/null || true
  fi
  add_real_seeds "$target" "$work/corpus"
  echo "fuzz: $target for ${SECONDS_EACH} s ($(ls "$work/corpus" | wc -l) seeds)"
  status=0
  # shellcheck disable=SC2086  # CLASSIFYD_FUZZ_ARGS is a list of flags.
  "$binary" -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" \
    -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 -max_len="$(max_len "$target")" \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    ${CLASSIFYD_FUZZ_ARGS:-} "$work/corpus" > "$work/log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$work/log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
  corpus=$(ls "$work/corpus" | wc -l)
  findings=$(find "$work/artifacts" -type f ! -name 'slow-unit-*' | wc -l)
  printf '%-16s %12s %8s %8s %8s %s\n' "$target" "${execs:-?}" "${cov:-?}" \
    "${ft:-?}" "$corpus" "$findings" >> "$BUILD_DIR/fuzz-summary.txt"
  if [[ $status -ne 0 || $findings -ne 0 ]]; then
    failed+=("$target")
    echo "fuzz: $target FAILED (exit $status); log $work/log:" >&2
    grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$work/log" \
      | head -20 >&2 || true
  fi
done
cat "$BUILD_DIR/fuzz-summary.txt"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: findings in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no findings"
