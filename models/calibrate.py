#!/usr/bin/python3
"""Fits the score calibration of a bundled classifier.

A classifier's raw score for a label becomes the probability that the label
is right, so `min_score` means the same for every classifier and the daemon's
merge compares like with like. Isotonic regression (scikit-learn) maps the
raw score to the share of calibration documents with that score that carry
the label: with --pooled, one map fitted on every label pooled (`*`), which
keeps the classifier's own ranking of its labels; otherwise a map per label,
and labels with fewer than --min-positives positive documents use the pooled
one. With --by-rank the pooled map is two: `*@1` for the classifier's
top label of a document, fitted on top labels alone, and `*` for its
other labels. A top label is right far more often than a second label
with the same raw score, so one map made top labels look unsure and
second labels look likely.

    models/calibrate.py fasttext --pooled --by-rank --model MODEL.ftz \\
        --train-bin classifyd-train \\
        --set corpus/valid.tsv --set 10:devsets/cctv_calib.lead.tsv --out FILE
    models/calibrate.py lexicon --rules rules.toml --lexicon-bin classifyd-lexicon \\
        --set corpus/valid.tsv --set 10:devsets/cctv_calib.lead.tsv \\
        --set 10:devsets/toutiao_world.tsv --out FILE

A --set is a labelled TSV (`label[,label...]<TAB>text`), optionally prefixed
with a weight (`10:path`: each of its documents counts ten times, so the few
hand-labelled current documents are not drowned by older headlines).

The output is the daemon's calibration file (docs/plugins.md,
"Calibration"): one line per label of `raw:calibrated` knots, raw ascending,
calibrated non-decreasing. The fastText model is asked for every label of
every document; the lexicon gives a score only when a rule matched, so its
maps are fitted on the documents it labelled. The older single-label sets
count a right second topic as wrong, which keeps the rules from outranking
a statistical label they merely add to.
"""

import argparse
import os
import subprocess
import sys

import numpy as np
from sklearn.isotonic import IsotonicRegression

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lexicon"))
import matcher  # noqa: E402

# At most this many knots per label: isotonic regression yields a step per
# distinct score; the daemon interpolates linearly between knots, so a few
# dozen points carry the curve.
MAX_KNOTS = 24
# No calibrated score is certainty: a few hundred documents cannot show a
# score is right more often than this.
MAX_PROBABILITY = 0.99


def read_sets(specs):
    """[(weight, [(gold labels, text)])]"""
    out = []
    for spec in specs:
        weight, path = 1.0, spec
        head, sep, tail = spec.partition(":")
        if sep and head.replace(".", "", 1).isdigit():
            weight, path = float(head), tail
        rows = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                labels, _, text = line.rstrip("\n").partition("\t")
                if text:
                    rows.append((set(labels.split(",")), text))
        out.append((weight, rows))
    return out


def fasttext_scores(binary, model, texts):
    """[{label: raw score}] for every label of the model."""
    out = subprocess.run([binary, "predict", "-m", model, "-k", "100",
                          "--threshold", "0"], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True)
    result = []
    for line in out.stdout.splitlines():
        scores = {}
        for item in line.split("\t")[1:]:
            label, _, score = item.rpartition(" ")
            scores[label] = float(score)
        result.append(scores)
    return result


def observations(sets, scores_of, every_label):
    """label -> (raw scores, 0/1 outcomes, weights, top?): top? says the
    label had the document's highest raw score (the first listed of a
    tie), as the daemon picks the top label."""
    obs = {}
    for weight, rows in sets:
        all_scores = scores_of([text for _, text in rows])
        if len(all_scores) != len(rows):
            sys.exit("calibrate: %d texts but %d answers" % (len(rows),
                                                             len(all_scores)))
        for (gold, _), scores in zip(rows, all_scores):
            labels = every_label if every_label else scores.keys()
            top = max(scores, key=scores.get) if scores else None
            for label in labels:
                x, y, w, t = obs.setdefault(label, ([], [], [], []))
                x.append(scores.get(label, 0.0))
                y.append(1.0 if label in gold else 0.0)
                w.append(weight)
                t.append(label == top)
    return obs


def fit(x, y, w):
    """Knots [(raw, calibrated)] of an isotonic fit, strictly increasing.

    Isotonic regression is a step function; its flat steps would give many
    raw scores one calibrated value, and labels the raw scores ranked would
    tie in the daemon's merge. The knots are therefore the centres
    of the steps: linear interpolation between them keeps the fit's values
    at the centres and keeps every order of raw scores.
    """
    iso = IsotonicRegression(y_min=0.0, y_max=MAX_PROBABILITY,
                             out_of_bounds="clip")
    iso.fit(np.asarray(x), np.asarray(y), sample_weight=np.asarray(w))
    xs, ys = iso.X_thresholds_, iso.y_thresholds_
    centres = []
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and ys[j + 1] == ys[i]:
            j += 1
        centres.append(((xs[i] + xs[j]) / 2, float(ys[i])))
        i = j + 1
    if len(centres) > MAX_KNOTS:
        pick = np.unique(np.linspace(0, len(centres) - 1, MAX_KNOTS).round()
                         .astype(int))
        centres = [centres[k] for k in pick]
    # Ends: a little below the first centre and above the last, so scores
    # beyond them keep their order too.
    knots = [(0.0, centres[0][1] * 0.5)] if centres[0][0] > 0 else []
    knots += [(float(a), b) for a, b in centres]
    if knots[-1][0] < 1.0:
        knots.append((1.0, knots[-1][1] + (1.0 - knots[-1][1]) * 0.05))
    return knots


def value_at(knots, raw):
    """The daemon's reading of `knots` at `raw`: linear between knots,
    the nearest knot's value outside them."""
    xs = [k[0] for k in knots]
    return float(np.interp(raw, xs, [k[1] for k in knots]))


def at_most(knots, ceiling):
    """`knots` lowered to stay at or under the curve `ceiling` at every raw
    score. Both are linear between knots, so comparing them at the knots
    of either is enough."""
    raws = sorted({k[0] for k in knots} | {k[0] for k in ceiling})
    out = []
    for raw in raws:
        y = min(value_at(knots, raw), value_at(ceiling, raw))
        out.append((raw, max(y, out[-1][1]) if out else y))
    return out


def write(path, maps, header):
    with open(path, "w", encoding="utf-8") as f:
        f.write("# classifyd calibration v1\n")
        for line in header:
            f.write("# " + line + "\n")
        for label, (knots, n, positives) in maps.items():
            f.write("# %s: %d documents, %d with the label\n" %
                    (label, n, positives))
            f.write(label + "\t" + " ".join("%.9g:%.6g" % k for k in knots) +
                    "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["fasttext", "lexicon"])
    parser.add_argument("--model")
    parser.add_argument("--train-bin")
    parser.add_argument("--rules")
    parser.add_argument("--lexicon-bin")
    parser.add_argument("--set", action="append", required=True)
    parser.add_argument("--min-positives", type=int, default=30)
    parser.add_argument("--pooled", action="store_true",
                        help="one map for every label (keeps the ranking)")
    parser.add_argument("--by-rank", action="store_true",
                        help="pooled maps for top labels (`*@1`) and the "
                        "others (`*`)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.by_rank and not args.pooled:
        parser.error("--by-rank fits the pooled maps: use it with --pooled")
    sets = read_sets(args.set)
    if args.kind == "fasttext":
        labels = list(fasttext_scores(args.train_bin, args.model, ["x"])[0])
        obs = observations(
            sets, lambda t: fasttext_scores(args.train_bin, args.model, t),
            labels)
    else:
        obs = observations(
            sets, lambda t: matcher.scores(args.lexicon_bin, args.rules, t),
            None)
    maps = {}
    for name, keep in ([("*@1", lambda top: top), ("*", lambda top: not top)]
                       if args.by_rank else [("*", lambda top: True)]):
        pooled = ([], [], [])
        for x, y, w, t in obs.values():
            for i in range(len(x)):
                if keep(t[i]):
                    for part, values in zip(pooled, (x, y, w)):
                        part.append(values[i])
        maps[name] = (fit(*pooled), len(pooled[0]), int(sum(pooled[1])))
    if args.by_rank:
        # A label other than the top one has a raw score no higher than the
        # top label's; under the top labels' curve it stays under their
        # calibrated score too, so the classifier's best label stays its
        # best. The fits alone do not promise it: a second label tied with
        # the top one at a raw 1.0 is often right, which lifts the end of
        # the others' fit.
        knots, n, positives = maps["*"]
        maps["*"] = (at_most(knots, maps["*@1"][0]), n, positives)
    for label in sorted(obs):
        x, y, w, _ = obs[label]
        if not args.pooled and sum(y) >= args.min_positives:
            maps[label] = (fit(x, y, w), len(x), int(sum(y)))
    write(args.out, maps, [
        "Fitted by models/calibrate.py (isotonic regression) on: " +
        ", ".join(args.set),
        ("A document's top label without a line of its own uses `*@1`, "
         "fitted on top labels pooled; other labels use `*`, fitted on "
         "the other labels pooled." if args.by_rank else
         "Labels without a line use `*`, fitted on every label pooled.")])
    print("calibrate: %s: %d label maps + %s -> %s" %
          (args.kind, len(maps) - (2 if args.by_rank else 1),
           " ".join("`%s`" % m for m in maps if m.startswith("*")), args.out))


if __name__ == "__main__":
    main()
