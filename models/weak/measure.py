#!/usr/bin/env python3
"""Measures the weak-labelling rules (rules.py, rules_en.py) against hand
labels.

    models/weak/measure.py --data ../shared/data [--json FILE]
        [--lexicon build/release/bin/classifyd-lexicon]

Sets: the three hand-labelled CCTV samples, headline and lead as the rules
see them (models/devsets/: cctv_calib.tsv, the calibration sample, which the
rules were written against; cctv_train.tsv and cctv_heldout.tsv, labelled
after the rules were written, so their figures are the unbiased ones), and
the Toutiao international-news check sample (models/devsets/
toutiao_world.tsv, headlines). The English rules (rules_en.py) are scored on
the AG News World sample (models/devsets/ag_world.tsv, headline and
description), labelled after they were written. For each label:
how many rows the rules gave it, its precision (the hand labels include it)
and recall; and for the whole set, how often the rules' first label is one
of the hand labels, and how many rows got no label. With --lexicon, the
bundled lexicon rules (models/lexicon/rules.toml, through the plugin's own
matcher) are scored on the same rows the same way.
"""

import argparse
import collections
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "devsets"))
sys.path.insert(0, str(HERE.parent / "lexicon"))
import devset  # noqa: E402
import matcher  # noqa: E402
import rules  # noqa: E402
import rules_en  # noqa: E402


# The hand-labelled CCTV samples (models/devsets/NAME.tsv), in the order
# they were labelled.
CCTV_SAMPLES = ["cctv_calib", "cctv_train", "cctv_heldout"]


def score(rows, fn):
    """rows: [(gold labels, title, lead)] -> report dict."""
    given = collections.Counter()
    right = collections.Counter()
    support = collections.Counter()
    first_right = unlabelled = 0
    for gold, title, lead in rows:
        support.update(gold)
        weak = fn(title, lead)
        if not weak:
            unlabelled += 1
            continue
        first_right += weak[0] in gold
        for label in weak:
            given[label] += 1
            right[label] += label in gold
    labels = sorted(set(given) | set(support), key=lambda l: (-support[l], l))
    return {
        "rows": len(rows), "unlabelled": unlabelled,
        "first_label_precision": first_right / max(1, len(rows) - unlabelled),
        "labels": {l: {"given": given[l], "support": support[l],
                       "precision": right[l] / given[l] if given[l] else None,
                       "recall": right[l] / support[l] if support[l] else None}
                   for l in labels}}


def lexicon_fn(binary, rows):
    """A labelling function answering from the lexicon's output for `rows`,
    best label first."""
    texts = [title + " " + lead for _, title, lead in rows]
    rules = HERE.parent / "lexicon" / "rules.toml"
    answers = {text: sorted(found, key=lambda l: -found[l])
               for text, found in zip(texts,
                                      matcher.scores(binary, rules, texts))}
    return lambda title, lead: answers[title + " " + lead]


def print_report(name, report):
    print(f"== {name}: {report['rows']} rows, {report['unlabelled']} without "
          f"a weak label, first label right {report['first_label_precision']:.3f}")
    print(f"  {'label':14} {'given':>5} {'support':>7} {'precision':>9} {'recall':>6}")
    for label, r in report["labels"].items():
        p = "-" if r["precision"] is None else f"{r['precision']:.2f}"
        rc = "-" if r["recall"] is None else f"{r['recall']:.2f}"
        print(f"  {label:14} {r['given']:5} {r['support']:7} {p:>9} {rc:>6}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=pathlib.Path)
    parser.add_argument("--json", type=pathlib.Path)
    parser.add_argument("--lexicon", help="classifyd-lexicon binary")
    args = parser.parse_args()
    stories = list(devset.read_cctv(args.data))
    samples = {}
    for name in CCTV_SAMPLES:
        hand = devset.read_hand_labels(HERE.parent / "devsets" / f"{name}.tsv")
        samples[name] = [(hand[r["key"]][0], r["title"], devset.lead(r["text"]))
                         for r in stories if r["key"] in hand]
    reports = {name: score(rows, rules.labels_for)
               for name, rows in samples.items()}
    world_path = HERE.parent / "devsets" / "toutiao_world.tsv"
    world = [(labels, title, "") for labels, title in
             devset.read_hand_labels(world_path).values()]
    reports["toutiao_world"] = score(
        world, lambda t, l: rules.world_labels(t, l, fallback=False))
    items = {key: (title, description) for key, _, title, description
             in devset.read_ag_news(args.data / "ag_news_en")}
    ag_world = [(labels, *items[key]) for key, (labels, _) in
                devset.read_hand_labels(
                    HERE.parent / "devsets" / "ag_world.tsv").items()]
    reports["ag_world"] = score(ag_world, rules_en.world_labels)
    if args.lexicon:
        for name, rows in (*samples.items(), ("toutiao_world", world)):
            reports["lexicon on " + name] = score(
                rows, lexicon_fn(args.lexicon, rows))
    for name, report in reports.items():
        print_report(name, report)
    if args.json:
        args.json.write_text(json.dumps(reports, indent=1) + "\n")


if __name__ == "__main__":
    main()
