#!/usr/bin/env python3
"""Draws the CCTV samples that are labelled by hand.

`--window dev`: the 2023 dev set. The dev window (2023-07-01 .. 2023-10-15,
less the month the data set holds out) is never trained on: build_corpus.py
drops every CCTV row dated in it. Labels: cctv2023.tsv.

`--window dev --offset 360 --count 120`: the 2023 check set, the next
stories of the same draw. Labels: cctv2023_check.tsv.

`--window calib`: the calibration set, drawn from the other days. Its rows
are never trained on either (build_corpus.py drops them by key); they fit
the score calibration and measure the weak-labelling rules. Labels:
cctv_calib.tsv.

`--window calib --offset 360 --count 600`, then `--offset 960`: the
hand-labelled training sample, the next stories of the same draw. Labels:
cctv_train.tsv. `--offset 1560 --count 600`: the held-out sample after
them. Labels: cctv_heldout.tsv. `--offset 2160 --count 600`: the last
round of the training sample, after the held-out one. Labels:
cctv_train.tsv. `--offset 2760 --count 600`: a fifth round, labelled but
not used (LABELLING.md). Labels: cctv_round5.tsv.

    models/devsets/sample_cctv.py --data ../shared/data --window dev > sample.tsv

Output columns: key, date, section, title, lead (see devset.py for both).
"""

import argparse
import pathlib
import random
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import devset  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=pathlib.Path)
    parser.add_argument("--count", type=int, default=360)
    parser.add_argument("--offset", type=int, default=0,
                        help="skip this many stories of the draw first")
    parser.add_argument("--window", choices=["dev", "calib"], required=True)
    args = parser.parse_args()
    dev = args.window == "dev"
    rows = [r for r in devset.read_cctv(args.data)
            if devset.in_dev_window(r["date"]) == dev]
    rows.sort(key=lambda r: r["key"])
    random.Random(f"classifyd-cctv-{args.window}").shuffle(rows)
    out = sys.stdout
    for r in rows[args.offset:args.offset + args.count]:
        out.write("\t".join([r["key"], r["date"], r["section"], r["title"],
                             devset.lead(r["text"])]) + "\n")


if __name__ == "__main__":
    main()
