#!/usr/bin/python3
"""Reliability of a fastText model's calibrated scores, by rank.

For every label of every document of a labelled TSV, the model's raw score
is calibrated the way the daemon does it (a calibration file's `*@1` line
for the document's top label, `*` for the others), and the report compares
the stated probabilities with how often the labels are right: per bin of
the calibrated score, for top labels and the others apart; the Brier score
per document; the labels a client sees at a minimum score.

    models/reliability.py --model models/news-topics/model.ftz \\
        --train-bin build/release/bin/classifyd-train \\
        --calibration models/news-topics/calibration.tsv \\
        build/release/models/corpus/test.tsv

Pooled lines only (`*`, `*@1`): the bundled model's calibration. Run with
/usr/bin/python3 (numpy, and calibrate.py's reading of a curve).
"""

import argparse
import collections
import sys

import numpy as np

import calibrate

BINS = [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]


def read_curves(path):
    """{line name: [(raw, calibrated)]} of a calibration file."""
    curves = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, knots = line.rstrip("\n").split("\t")
            curves[name] = [tuple(map(float, k.split(":")))
                            for k in knots.split()]
    if "*" not in curves:
        sys.exit("reliability: %s has no `*` line" % path)
    return curves


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--train-bin", required=True)
    parser.add_argument("--calibration", required=True)
    parser.add_argument("--min-score", type=float, default=0.2)
    parser.add_argument("sets", nargs="+", help="labelled TSV files")
    args = parser.parse_args()
    curves = read_curves(args.calibration)
    rows = [row for _, rs in calibrate.read_sets(args.sets) for row in rs]
    scores = calibrate.fasttext_scores(args.train_bin, args.model,
                                       [text for _, text in rows])
    # (rank, bin) -> [labels, right, sum of calibrated scores]
    bins = collections.defaultdict(lambda: [0, 0, 0.0])
    brier = shown = shown_right = top_shown = 0
    for (gold, _), raw in zip(rows, scores):
        top = max(raw, key=raw.get)
        for label, score in raw.items():
            rank = "top" if label == top else "others"
            curve = curves.get("*@1" if rank == "top" else "*", curves["*"])
            p = calibrate.value_at(curve, score)
            right = label in gold
            brier += (p - right) ** 2
            if p >= args.min_score:
                shown += 1
                shown_right += right
                top_shown += rank == "top"
            cell = bins[(rank, np.searchsorted(BINS, p, side="right") - 1)]
            cell[0] += 1
            cell[1] += right
            cell[2] += p
    n = len(rows)
    print("%d documents; Brier score per document %.3f; at min_score %.2f: "
          "%.2f labels per document, %.3f of them right; top label shown "
          "for %.3f" % (n, brier / n, args.min_score, shown / n,
                        shown_right / max(shown, 1), top_shown / n))
    print("labels\tcalibrated\tn\tstated\tobserved")
    for (rank, b), (count, right, total) in sorted(bins.items()):
        high = BINS[b + 1] if b + 1 < len(BINS) else 1.0
        print("%s\t%.1f-%.1f\t%d\t%.2f\t%.2f" % (rank, BINS[b], high, count,
                                                 total / count, right / count))


if __name__ == "__main__":
    main()
