#!/usr/bin/env python3
"""Adds weak labels from the lexicon rules to a corpus built by build_corpus.py.

For the taxonomy labels that no labelled set provides (fraud, diplomacy,
weather), a row gets the label when the bundled rules give it
(`classifyd-lexicon classify`, the lexicon plugin's own matcher). Gold labels
are kept; nothing is removed. Every split is rewritten, so a model trained on
the weak train split can be scored on the weak held-out splits (agreement
with the rules on text neither saw) as well as on the untouched gold ones.

    models/weak_labels.py --lexicon BIN --rules RULES --corpus DIR --out DIR

Writes DIR/{train,valid,test}.tsv, DIR/sets/<set>.<split>.tsv and
DIR/weak_stats.json (rows weakly labelled per label and split).
"""

import argparse
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "lexicon"))
import matcher  # noqa: E402

WEAK_LABELS = ("fraud", "diplomacy", "weather")


def rules_labels(lexicon, rules, texts):
    return [set(found) for found in matcher.scores(lexicon, rules, texts)]


def relabel(lexicon, rules, src, dst, stats, key):
    rows = [line.split("\t", 1) for line in
            src.read_text(encoding="utf-8").splitlines() if line]
    found = rules_labels(lexicon, rules, [text for _, text in rows])
    counts = stats.setdefault(key, {l: 0 for l in WEAK_LABELS})
    counts.setdefault("rows", 0)
    with dst.open("w", encoding="utf-8") as f:
        for (labels, text), rule_labels in zip(rows, found):
            names = labels.split(",")
            for label in WEAK_LABELS:
                if label in rule_labels and label not in names:
                    names.append(label)
                    counts[label] += 1
            counts["rows"] += 1
            f.write(f"{','.join(names)}\t{text}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lexicon", required=True)
    parser.add_argument("--rules", required=True)
    parser.add_argument("--corpus", required=True, type=pathlib.Path)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    args = parser.parse_args()
    (args.out / "sets").mkdir(parents=True, exist_ok=True)
    stats = {}
    for split in ("train", "valid", "test"):
        relabel(args.lexicon, args.rules, args.corpus / f"{split}.tsv",
                args.out / f"{split}.tsv", stats, split)
    for src in sorted((args.corpus / "sets").glob("*.tsv")):
        relabel(args.lexicon, args.rules, src, args.out / "sets" / src.name,
                stats, "sets/" + src.stem)
    (args.out / "weak_stats.json").write_text(json.dumps(stats, indent=1))
    for split in ("train", "valid", "test"):
        print(f"weak_labels: {split}: " + ", ".join(
            f"{l} +{stats[split][l]}" for l in WEAK_LABELS) +
            f" of {stats[split]['rows']} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
