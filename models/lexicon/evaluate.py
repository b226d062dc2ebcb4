#!/usr/bin/python3
"""Measures the lexicon rules on the labelled public sets in shared/data.

Runs `classifyd-lexicon classify` (the plugin's matcher, same code and same
normalisation) over every text of every set and prints, per lexicon label:

  * precision / recall against the only gold labels the data has:
      disaster  DuEE sentences with a 灾害/意外 event (except 袭击, attacks,
                which the taxonomy files under society) and CEC articles
                (交通事故 地震 火灾 食物中毒 are disaster, 恐怖袭击 is not);
      fraud     Telecom_Fraud_Texts_5 scam scripts (labels 1-4) against the
                operators' marketing SMS (label 0). Scam messages, not news.
    Precision against DuEE is a lower bound: a sentence can mention a
    disaster without being annotated with that event.
  * how often the label fires on news whose section cannot be about it
    (sports, entertainment, games, fashion, parenting, food; "soft" below);
    with --show-soft every such hit is printed for reading;
  * where it fires, by set and source label;
  * with --sample N, N random hits per label (news sets only), to be read
    and judged by a person: the data has no fraud, weather, diplomacy or
    anti-corruption labels, so their precision can only be judged by hand.

The split of each text is the news-topics corpus split (same salt and hash
as models/build_corpus.py), so `--split test` looks only at texts the rules
were not developed on.

Standard library only; run with /usr/bin/python3 from anywhere:
  models/lexicon/evaluate.py --split test --sample 50
"""

import argparse
import collections
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "models"))
import build_corpus  # noqa: E402  (the corpus readers and the split)

LABELS = ["fraud", "disaster", "weather", "diplomacy", "politics"]
NEWS_SETS = ["nlpcc2017", "clue_tnews", "fewclue_tnews", "thucnews", "duee",
             "cec"]
# Source sections that are never about the lexicon's topics.
SOFT = {
    "nlpcc2017": {"sports", "entertainment", "game", "fashion", "baby",
                  "food"},
    "clue_tnews": {"news_sports", "news_entertainment", "news_game"},
    "fewclue_tnews": {"news_sports", "news_entertainment", "news_game"},
    "thucnews": {"sports", "entertainment", "game"},
}
SALT = "classifyd-news-topics-1"


def load_rows(data, sets, split):
    """[(set, source_labels, split, text)], de-duplicated within each set."""
    rows = []
    for set_id in sets:
        _, folder = build_corpus.SETS[set_id]
        seen = set()
        for labels, text, _ in build_corpus.READERS[set_id](
                os.path.join(data, folder)):
            text = build_corpus.normalize(text)
            key = build_corpus.dedupe_key(text)
            if not key or key in seen:
                continue
            seen.add(key)
            row_split = build_corpus.split_of(key, SALT, 10, 10)
            if split == "all" or (split == "test") == (row_split == "test"):
                rows.append((set_id, labels, row_split, text))
    return rows


def classify(tool, rules, texts):
    proc = subprocess.run(
        [tool, "classify", rules, "--max-evidence", "5"],
        input="\n".join(texts) + "\n", capture_output=True, text=True,
        check=False)
    if proc.returncode != 0:
        sys.exit("evaluate.py: %s failed: %s" % (tool, proc.stderr.strip()))
    lines = proc.stdout.splitlines()
    if len(lines) != len(texts):
        sys.exit("evaluate.py: %d results for %d texts" %
                 (len(lines), len(texts)))
    return [{l["label"]: l for l in json.loads(line)["labels"]}
            for line in lines]


def gold(label, set_id, source_labels):
    """True / False where the data decides, None where it does not."""
    if label == "disaster":
        if set_id == "duee":
            return any(s.startswith("灾害/意外-") and s != "灾害/意外-袭击"
                       for s in source_labels)
        if set_id == "cec":
            return source_labels[0] != "恐怖袭击"
    if label == "fraud" and set_id == "telecom_fraud":
        return source_labels[0] != "0"
    return None


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    return p, r


def main(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.path.join(
        os.path.dirname(ROOT), "shared", "data"),
        help="shared/data directory (default: %(default)s)")
    parser.add_argument("--rules", default=os.path.join(HERE, "rules.toml"))
    parser.add_argument("--tool", default=os.path.join(
        ROOT, "build", "release", "bin", "classifyd-lexicon"),
        help="classifyd-lexicon binary (default: %(default)s)")
    parser.add_argument("--split", choices=["all", "test", "dev"],
                        default="all",
                        help="test: the corpus test split; dev: the rest")
    parser.add_argument("--sample", type=int, default=0,
                        help="print N random news hits per label")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show-soft", action="store_true",
                        help="print every hit on soft-news sections")
    parser.add_argument("--show-errors", action="store_true",
                        help="print gold-set misses and false alarms")
    args = parser.parse_args(argv)

    sets = NEWS_SETS + ["telecom_fraud"]
    rows = load_rows(args.data, sets, args.split)
    results = classify(args.tool, args.rules, [r[3] for r in rows])

    news = [i for i, r in enumerate(rows) if r[0] in NEWS_SETS]
    print("# lexicon rules on shared/data (split: %s)\n" % args.split)
    print("%d texts, %d of them news (%s)\n" %
          (len(rows), len(news), ", ".join(NEWS_SETS)))

    print("## Against gold labels\n")
    print("| label | gold set | docs | positives | P | R |")
    print("|---|---|---:|---:|---:|---:|")
    errors = collections.defaultdict(list)
    for label in LABELS:
        for set_id in sets:
            tp = fp = fn = n = pos = 0
            for i, r in enumerate(rows):
                if r[0] != set_id:
                    continue
                g = gold(label, r[0], r[1])
                if g is None:
                    continue
                n += 1
                pos += g
                hit = label in results[i]
                tp += hit and g
                fp += hit and not g
                fn += g and not hit
                if hit != g:
                    errors[label].append(
                        ("missed" if g else "false alarm", set_id, r[1], i))
            if n:
                p, rc = prf(tp, fp, fn)
                print("| %s | %s | %d | %d | %.3f | %.3f |" %
                      (label, set_id, n, pos, p, rc))

    print("\n## Hits on news\n")
    print("soft = sports, entertainment, games, fashion, parenting and food "
          "sections (NLPCC, TNEWS, THUCNews): never about these topics.\n")
    print("| label | news hits | share of news | soft hits / soft docs |"
          " top sections |")
    print("|---|---:|---:|---:|---|")
    soft_docs = [i for i in news if rows[i][1][0] in SOFT.get(rows[i][0], ())]
    for label in LABELS:
        hits = [i for i in news if label in results[i]]
        soft_hits = [i for i in soft_docs if label in results[i]]
        by_section = collections.Counter(
            "%s:%s" % (rows[i][0], "|".join(rows[i][1])) for i in hits)
        top = ", ".join("%s %d" % kv for kv in by_section.most_common(6))
        print("| %s | %d | %.2f%% | %d / %d | %s |" %
              (label, len(hits), 100.0 * len(hits) / max(1, len(news)),
               len(soft_hits), len(soft_docs), top))

    def show(i, label):
        r = rows[i]
        res = results[i][label]
        print("  %.2f  %-28s %s  [%s]" %
              (res["score"], "%s:%s" % (r[0], "|".join(r[1]))[:28],
               r[3][:90], " ".join(res["evidence"])))

    if args.show_soft:
        for label in LABELS:
            print("\n## %s on soft news\n" % label)
            for i in soft_docs:
                if label in results[i]:
                    show(i, label)
    if args.show_errors:
        for label in LABELS:
            if not errors[label]:
                continue
            print("\n## %s: gold-set errors\n" % label)
            for kind, set_id, source, i in errors[label]:
                if kind == "false alarm":
                    show(i, label)
                else:
                    print("  missed %-26s %s" % (
                        "%s:%s" % (set_id, "|".join(source)), rows[i][3][:90]))
    if args.sample:
        rng = random.Random(args.seed)
        for label in LABELS:
            hits = [i for i in news if label in results[i]]
            picked = sorted(rng.sample(hits, min(args.sample, len(hits))))
            print("\n## %s: %d random news hits of %d\n" %
                  (label, len(picked), len(hits)))
            for i in picked:
                show(i, label)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
