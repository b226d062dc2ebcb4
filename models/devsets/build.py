#!/usr/bin/env python3
"""Writes the dev and check sets into the build tree, as classifyctl eval and
classifyd-train eval read them (`label[,label...]<TAB>text`):

  OUT/cctv2023.lead.tsv    CCTV 2023 dev set, headline + lead (hand labels)
  OUT/cctv2023.title.tsv   the same stories, headline only
  OUT/cctv2023_check.lead.tsv, .title.tsv
                           the CCTV 2023 check set: 120 more stories of the
                           dev window, labelled later, never used to choose
                           anything (hand labels)
  OUT/cctv_calib.lead.tsv  the calibration sample (hand labels)
  OUT/cctv_heldout.lead.tsv, .title.tsv
                           598 CCTV stories from outside the dev window,
                           never trained on or used to choose anything
                           (hand labels)
  OUT/sib200.<lang>.test.tsv   SIB-200 test split, zho_Hans, zho_Hant,
                           yue_Hant and eng_Latn (geography rows left out)
  OUT/toutiao_world.tsv    the Toutiao international-news check sample
  OUT/scams_heldout.tsv    the held-out headlines the weak fraud rule
                           matches, with their main topic (hand labels)
  OUT/ag_world.tsv, ag_world.title.tsv
                           160 AG News World items (English, 2004), title
                           and description, and titles alone (hand labels)
  OUT/thucnews_politics.{thucnews,taxonomy,either}.tsv
                           200 THUCNews 时政 test headlines with THUCNews's
                           label (`politics`), with the taxonomy's labels
                           (by hand), and with both

    models/devsets/build.py --data ../shared/data --out build/release/models/devsets
"""

import argparse
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import build_corpus  # noqa: E402  (the label mapping)
import devset  # noqa: E402

MAPPING = HERE.parent / "taxonomy_mapping.tsv"
SIB_LANGS = ("zho_Hans", "zho_Hant", "yue_Hant", "eng_Latn")


def clean(text):
    return " ".join(text.split())


def write_cctv(data, labels_file, out, name, with_title_only):
    labels = {k: ",".join(v[0])
              for k, v in devset.read_hand_labels(labels_file).items()}
    rows = {r["key"]: r for r in devset.read_cctv(data) if r["key"] in labels}
    missing = set(labels) - set(rows)
    if missing:
        sys.exit(f"devsets: {len(missing)} labelled keys not in stories.tsv, "
                 f"e.g. {sorted(missing)[0]}")
    with (out / f"{name}.lead.tsv").open("w", encoding="utf-8") as lead_f, \
         (out / f"{name}.title.tsv").open("w", encoding="utf-8") as title_f:
        for key, label in labels.items():
            r = rows[key]
            lead = devset.lead(r["text"])
            lead_f.write(f"{label}\t{clean(r['title'] + ' ' + lead)}\n")
            if with_title_only:
                title_f.write(f"{label}\t{clean(r['title'])}\n")
    if not with_title_only:
        (out / f"{name}.title.tsv").unlink()
    return len(labels)


def write_sib(data, out):
    # SIB-200 category -> taxonomy labels, as the corpus maps them; a
    # category mapped to nothing is left out.
    mapping = {source: ",".join(labels) for (set_id, source), labels
               in build_corpus.load_mapping(MAPPING).items()
               if set_id == "sib200" and labels}
    for lang in SIB_LANGS:
        src = data / "sib200_topic" / lang / "test.tsv"
        with src.open(encoding="utf-8") as f, \
             (out / f"sib200.{lang}.test.tsv").open("w", encoding="utf-8") as o:
            next(f)
            for line in f:
                _, category, text = line.rstrip("\n").split("\t", 2)
                if category in mapping:
                    o.write(f"{mapping[category]}\t{clean(text)}\n")


def labelled_lines(path):
    """The `label[,label...]<TAB>text` lines of a hand-label file that
    starts with # comments."""
    with path.open(encoding="utf-8") as f:
        return [line for line in f if not line.startswith("#")]


def write_thucnews_politics(out):
    """The THUCNews 时政 sample three ways: right when the top label is
    THUCNews's (`politics`), one of the hand labels, or either."""
    rows = [line.rstrip("\n").split("\t", 1)
            for line in labelled_lines(HERE / "thucnews_politics.tsv")]
    forms = {"thucnews": lambda hand: ["politics"],
             "taxonomy": lambda hand: hand,
             "either": lambda hand: ["politics"] +
                       [l for l in hand if l != "politics"]}
    for name, labels_of in forms.items():
        with (out / f"thucnews_politics.{name}.tsv").open(
                "w", encoding="utf-8") as o:
            for labels, text in rows:
                o.write(f"{','.join(labels_of(labels.split(',')))}\t{text}\n")


def write_ag_world(data, out, labels_file=HERE / "ag_world.tsv"):
    hand = devset.read_hand_labels(labels_file)
    items = {key: (title, description) for key, _, title, description
             in devset.read_ag_news(data / "ag_news_en") if key in hand}
    missing = set(hand) - set(items)
    if missing:
        sys.exit(f"devsets: {len(missing)} labelled keys not in AG News, "
                 f"e.g. {sorted(missing)[0]}")
    with (out / "ag_world.tsv").open("w", encoding="utf-8") as whole_f, \
         (out / "ag_world.title.tsv").open("w", encoding="utf-8") as title_f:
        for key, (labels, _) in hand.items():
            title, description = items[key]
            whole_f.write(f"{','.join(labels)}\t"
                          f"{clean(title + '. ' + description)}\n")
            title_f.write(f"{','.join(labels)}\t{clean(title)}\n")
    return len(hand)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=pathlib.Path)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    n = write_cctv(args.data, HERE / "cctv2023.tsv", args.out, "cctv2023", True)
    c = write_cctv(args.data, HERE / "cctv2023_check.tsv", args.out,
                   "cctv2023_check", True)
    m = write_cctv(args.data, HERE / "cctv_calib.tsv", args.out, "cctv_calib",
                   False)
    h = write_cctv(args.data, HERE / "cctv_heldout.tsv", args.out,
                   "cctv_heldout", True)
    write_sib(args.data, args.out)
    with (args.out / "toutiao_world.tsv").open("w", encoding="utf-8") as o:
        hand = devset.read_hand_labels(HERE / "toutiao_world.tsv")
        for labels, title in hand.values():
            o.write(f"{','.join(labels)}\t{clean(title)}\n")
    with (args.out / "scams_heldout.tsv").open("w", encoding="utf-8") as o:
        o.writelines(labelled_lines(HERE / "scams_heldout.tsv"))
    write_thucnews_politics(args.out)
    a = write_ag_world(args.data, args.out)
    print(f"devsets: cctv2023 {n}, cctv2023_check {c}, cctv_calib {m}, "
          f"cctv_heldout {h}, sib200 x{len(SIB_LANGS)}, ag_world {a} "
          f"-> {args.out}")


if __name__ == "__main__":
    main()
