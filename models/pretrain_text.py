#!/usr/bin/python3
"""Writes the unlabelled text the word vectors are learnt from.

Every training text of the corpus (build_corpus.py's train.tsv), and the
full bodies of the CCTV stories the corpus may train on (outside the dev
window and the calibration and held-out samples), one sentence per line,
as a labelled TSV with a placeholder label (`classifyd-train tokenize`
reads that form; build.sh strips the label again). No valid or test text
is included.

    models/pretrain_text.py --data ../shared/data --corpus DIR --out FILE
"""

import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "devsets"))
import devset  # noqa: E402

_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    measuring = devset.measuring_keys()
    lines = 0
    with open(args.out, "w", encoding="utf-8") as out:
        with open(os.path.join(args.corpus, "train.tsv"), encoding="utf-8") as f:
            for line in f:
                out.write("text\t" + line.split("\t", 1)[1])
                lines += 1
        for row in devset.read_cctv_dir(os.path.join(args.data,
                                                     "xinwenlianbo_cctv")):
            if devset.in_dev_window(row["date"]) or row["key"] in measuring:
                continue
            for sentence in _SENTENCE.findall(row["text"]):
                if len(sentence.strip()) > 4:
                    out.write("text\t" + sentence.strip() + "\n")
                    lines += 1
    print("pretrain_text: %d lines -> %s" % (lines, args.out))


if __name__ == "__main__":
    main()
