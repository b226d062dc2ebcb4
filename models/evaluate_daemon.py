#!/usr/bin/env python3
"""Scores the bundled classifiers through a running classifyd.

Starts the daemon from a build tree with the bundled manifests
(models/plugins.d: the news-topics fastText model and the lexicon rules),
streams every held-out test split built by models/build.sh through
`classifyctl eval`, once with the model alone (`--plugin news-topics`) and
once with all classifiers merged (what clients get by default), and writes
models/EVALUATION.md.

    models/evaluate_daemon.py [--build-dir DIR] [--out FILE]

The held-out splits are build/release/models/corpus/sets/<set>.test.tsv
(`label[,label...]<TAB>text`); run models/build.sh first, or just its
corpus step: python3 models/build_corpus.py --data ../shared/data
--out build/release/models/corpus.
"""

import argparse
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
SETS = ["nlpcc2017", "clue_tnews", "fewclue_tnews", "thucnews", "duee", "cec"]
TAXONOMY = ("fraud disaster diplomacy finance politics military society "
            "sports technology science entertainment health weather "
            "education culture travel autos real_estate agriculture games "
            "lifestyle").split()


def start_daemon(build, workdir):
    port_file = workdir / "port"
    log = open(workdir / "classifyd.log", "w")
    proc = subprocess.Popen(
        [str(build / "bin/classifyd"), "--listen", "127.0.0.1:0",
         "--port-file", str(port_file),
         "--plugin-dir", str(ROOT / "models/plugins.d"),
         "--plugin-lib-dir", str(build / "lib/classifyd/plugins"),
         "--runtime-dir", str(workdir), "--admin-socket", "none",
         "--watch", "false"],
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not port_file.exists() or not port_file.read_text().strip():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            sys.exit("evaluate_daemon: classifyd did not start; see "
                     f"{workdir / 'classifyd.log'}")
        time.sleep(0.1)
    return proc, int(port_file.read_text())


def run_eval(build, port, tsv, plugin, min_score=None):
    cmd = [str(build / "bin/classifyctl"), "--addr", f"127.0.0.1:{port}",
           "eval", "--json"]
    if plugin:
        cmd += ["--plugin", plugin]
    if min_score is not None:
        cmd += ["--min-score", str(min_score)]
    cmd.append(str(tsv))
    start = time.monotonic()
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if out.returncode not in (0, 1) or not out.stdout:
        sys.exit(f"evaluate_daemon: {' '.join(cmd)} failed "
                 f"({out.returncode}): {out.stderr.strip()}")
    report = json.loads(out.stdout)
    report["seconds"] = seconds
    return report


def set_table(results, model_key, merged_key):
    rows = [
        "| test set | docs | model top-1 | model macro-F1 | merged top-1 "
        "| merged macro-F1 | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ["all"] + SETS:
        m, g = results[name][model_key], results[name][merged_key]
        title = "**all (combined test)**" if name == "all" else f"`{name}`"
        rows.append(
            f"| {title} | {g['documents']} | {fmt(m['accuracy'])} | "
            f"{fmt(m['macroF1'])} | {fmt(g['accuracy'])} | "
            f"{fmt(g['macroF1'])} | {m['errors'] + g['errors']} |")
    return rows


def fmt(x):
    return f"{x:.3f}"


def label_rows(model, merged):
    by_label_model = {l["label"]: l for l in model["labels"]}
    by_label_merged = {l["label"]: l for l in merged["labels"]}
    rows = []
    for label in TAXONOMY:
        m = by_label_model.get(label)
        g = by_label_merged.get(label)
        support = g["support"] if g else 0
        if support == 0 and not (g and g["predicted"]):
            continue
        rows.append(
            f"| `{label}` | {support} | "
            f"{fmt(m['f1']) if m and m['support'] else '-'} | "
            f"{fmt(g['precision'])} | {fmt(g['recall'])} | {fmt(g['f1'])} | "
            f"{g['predicted']} |")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=str(ROOT / "build/release"))
    parser.add_argument("--out", default=str(HERE / "EVALUATION.md"))
    args = parser.parse_args()
    build = pathlib.Path(args.build_dir).resolve()
    sets_dir = build / "models/corpus/sets"
    if not (sets_dir / "nlpcc2017.test.tsv").exists():
        sys.exit(f"evaluate_daemon: no held-out splits in {sets_dir}; run "
                 "models/build.sh (or its corpus step) first")

    results = {}
    with tempfile.TemporaryDirectory(prefix="classifyd-eval-") as tmp:
        proc, port = start_daemon(build, pathlib.Path(tmp))
        try:
            inputs = [("all", build / "models/corpus/test.tsv")]
            inputs += [(s, sets_dir / f"{s}.test.tsv") for s in SETS]
            for name, tsv in inputs:
                results[name] = {
                    "model": run_eval(build, port, tsv, "news-topics"),
                    "merged": run_eval(build, port, tsv, None),
                    "model0": run_eval(build, port, tsv, "news-topics", 0),
                    "merged0": run_eval(build, port, tsv, None, 0),
                }
                r = results[name]
                print(f"{name}: model {fmt(r['model']['accuracy'])} / "
                      f"merged {fmt(r['merged']['accuracy'])} top-1",
                      file=sys.stderr)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)

    lines = [
        "<!-- Generated by models/evaluate_daemon.py; do not edit. -->",
        "# The bundled classifiers, measured through the daemon",
        "",
        "Every held-out test split of the training corpus (built by",
        "`models/build.sh`, never trained on) streamed through a real",
        "`classifyd` with the bundled manifests (`models/plugins.d`:",
        "`news-topics`, the fastText model, and `lexicon`, the rules) by",
        "`classifyctl eval`, which scores the top label of each document",
        "(a document is right when its top label is one of its labels; see",
        "`clients/classifyctl/README.md` for the exact definitions). Each",
        "set is scored with the model alone (`--plugin news-topics`) and",
        "with all classifiers merged, which is what a client gets by",
        "default; `fraud`, `diplomacy` and `weather` can only come from the",
        "rules and the sets have no such labels, so every one of them the",
        "rules put on top counts as a mistake here.",
        "",
        "Rerun: `./run.sh` once (or `deploy/setup.sh`), `models/build.sh`",
        "(or only its corpus step), then `models/evaluate_daemon.py`.",
        "",
        "**At the daemon's defaults** (`min_score` 0.1: a document whose",
        "labels all score below it gets none, which counts as wrong):",
        "",
    ]
    lines += set_table(results, "model", "merged")
    lines += [
        "",
        "**Top label whatever its score** (`--min-score 0`: never",
        "abstains; the figure to compare with published top-1 accuracies):",
        "",
    ]
    lines += set_table(results, "model0", "merged0")
    all_m, all_g = results["all"]["model"], results["all"]["merged"]
    docs_per_s = all_g["documents"] / all_g["seconds"]
    lines += [
        "",
        f"Throughput of the merged run over all sets: {docs_per_s:,.0f} "
        "documents/s (`ClassifyBatch` of 256 from one client, including "
        "the client's own work; not a benchmark, see `bench/`).",
        "",
        "## Per label, all sets combined",
        "",
        "At the daemon's defaults. F1 of the model alone, then precision,",
        "recall and F1 of the merged result and how many documents got the",
        "label on top. `fraud`,",
        "`diplomacy` and `weather` have no labelled data here, so they can",
        "only appear as predictions (from the rules); every such prediction",
        "counts as a mistake against the set's own labels.",
        "",
        "| label | support | model F1 | merged P | merged R | merged F1 "
        "| merged top-1 count |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += label_rows(all_m, all_g)
    lines += [
        "",
        "## Most common mistakes (merged, all sets, `--min-score 0`)",
        "",
        "| label | top label instead | count | of |",
        "|---|---|---:|---:|",
    ]
    confusions = results["all"]["merged0"]["confusions"]
    for c in sorted(confusions, key=lambda c: -c["count"])[:15]:
        lines.append(f"| `{c['label']}` | `{c['predictedAs'] or '(none)'}` | "
                     f"{c['count']} | {c['support']} |")
    lines.append("")
    pathlib.Path(args.out).write_text("\n".join(lines))
    print(f"evaluate_daemon: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
