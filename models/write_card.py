#!/usr/bin/python3
"""Helpers of models/build.sh: result tables and the model card.

  write_card.py tune-row --name N --what W --flags F --seconds S \
      --eval EVAL.json --table TABLE.tsv [--bytes B]
      Adds (or replaces) row N of a comparison table from an eval JSON.

  write_card.py card --corpus-stats stats.json --eval test.json \
      --eval-full test-full.json --tuning tuning.tsv --quant quant.tsv \
      --sanity sanity.tsv --timings timings.tsv --out MODEL.md ...
      Writes the model card.

Standard library only.
"""

import argparse
import csv
import datetime
import json
import os
import sys

SETS = ["nlpcc2017", "clue_tnews", "fewclue_tnews", "thucnews", "duee", "cec",
        "toutiao", "sib200"]
TABLE_COLUMNS = (["name", "what", "flags", "seconds", "bytes", "all_top1",
                  "all_macro_f1", "all_op_micro_f1", "all_op_labels_per_doc"]
                 + ["%s_%s" % (s, m) for s in SETS
                    for m in ("top1", "macro_f1")])


def read_table(path):
    if not path or not os.path.exists(path) or os.path.getsize(path) == 0:
        return []
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def write_table(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, TABLE_COLUMNS, delimiter="\t",
                           lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for row in rows:
            w.writerow(row)


def tune_row(args):
    with open(args.eval, encoding="utf-8") as f:
        ev = json.load(f)
    sets = ev["sets"]
    allm = sets["all"]
    op = allm["operating_point"]
    row = {
        "name": args.name, "what": args.what, "flags": args.flags,
        "seconds": args.seconds,
        "bytes": args.bytes or ev["model"]["bytes"],
        "all_top1": "%.4f" % allm["top1_accuracy"],
        "all_macro_f1": "%.4f" % allm["macro_f1"],
        "all_op_micro_f1": "%.4f" % op["micro_f1"],
        "all_op_labels_per_doc": "%.2f" % (op["labels_emitted"] /
                                           max(1, allm["docs"])),
    }
    for s in SETS:
        if s in sets:
            row[s + "_top1"] = "%.4f" % sets[s]["top1_accuracy"]
            row[s + "_macro_f1"] = "%.4f" % sets[s]["macro_f1"]
    rows = [r for r in read_table(args.table) if r["name"] != args.name]
    rows.append(row)
    write_table(args.table, rows)
    print("%-12s %-40s top-1 %s macro-F1 %s (%s s)" % (
        args.name, args.what, row["all_top1"], row["all_macro_f1"],
        args.seconds), file=sys.stderr)


# ---------------------------------------------------------------------------
# The model card.

LICENCES = {
    "nlpcc2017": ("NLPCC 2017 Shared Task 2 headlines (FudanNLP test.full + "
                  "cPromptSource dev)",
                  "none found; README asks for citation (Qiu et al., "
                  "arXiv:1706.02883). Research/evaluation data, "
                  "redistribution rights unclear."),
    "clue_tnews": ("CLUE TNEWS (Toutiao) dev + an extra labelled test file",
                   "none found (CLUE, cPromptSource, tigergeng/TextCNN); "
                   "upstream Toutiao dataset states none. Cite Xu et al., "
                   "COLING 2020."),
    "fewclue_tnews": ("FewCLUE TNEWS train_few_all + dev_few_all",
                      "none found; FewCLUE README licence section says "
                      "\"being added\". Cite arXiv:2107.07498."),
    "thucnews": ("THUCNews (Sina) titles, 10 classes: 10k dev + 45k train "
                 "subset",
                 "code repo MIT; no statement for the data; upstream "
                 "THUCTC/THUCNews terms not checked."),
    "duee": ("Baidu DuEE 1.0 sentences with event types",
             "none found in the repackaging repo; Baidu's official terms "
             "not checked; treat as research-only."),
    "cec": ("CEC Chinese Emergency Corpus (Shanghai University), 332 "
            "articles",
            "none found; README gives no usage terms."),
    "telecom_fraud": ("Telecom_Fraud_Texts_5 (fraud SMS/call scripts)",
                      "conflicting: GPL-3.0 file, README says research "
                      "only, commercial use prohibited."),
    "ag_news": ("AG News test split (English)",
                "academic, non-commercial use (readme)."),
    "toutiao": ("Toutiao headlines, two 10k samples of the 382k pool "
                "(RuoYe310/NLP_ML); `news_world` weakly labelled",
                "none found (repo or upstream Toutiao dataset)."),
    "cctv": ("CCTV 新闻联播 stories 2022-09..2024-12 (headlines), weakly "
             "labelled by models/weak/rules.py; dev window and calibration "
             "sample left out, as are the stories of `cctv_hand`",
             "scraper MIT; transcripts are CCTV's copyright, no licence: "
             "research use only unless cleared."),
    "cctv_hand": ("1,796 more CCTV stories outside the dev window, as "
                  "headline and as headline + lead, labelled by hand "
                  "(devsets/cctv_train.tsv, devsets/LABELLING.md)",
                  "as `cctv`; the labels are the project's own."),
    "sib200": ("SIB-200 topic sentences (Flores-200), simplified Chinese; "
               "its own train/dev/test",
               "CC BY-SA 4.0 (attribution, share-alike)."),
    "bbc": ("BBC News train split (2004-05) + 1,476 English headlines of "
            "unknown provenance",
            "BBC corpus for research purposes, BBC copyright; extra rows "
            "unverified."),
    "sib200_en": ("SIB-200 topic sentences, English",
                  "CC BY-SA 4.0 (attribution, share-alike)."),
}


def fmt(x, digits=3):
    return ("%." + str(digits) + "f") % float(x)


def flag_value(flags, name):
    words = flags.split()
    value = "?"
    for i, w in enumerate(words[:-1]):
        if w == name:
            value = words[i + 1]
    return value


def md_table(header, rows, align=None):
    out = ["| " + " | ".join(header) + " |"]
    align = align or (["---"] + ["---:"] * (len(header) - 1))
    out.append("|" + "|".join(align) + "|")
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def card(args):
    with open(args.corpus_stats, encoding="utf-8") as f:
        stats = json.load(f)
    with open(args.eval, encoding="utf-8") as f:
        ev = json.load(f)
    ev_full = None
    if args.eval_full and os.path.exists(args.eval_full):
        with open(args.eval_full, encoding="utf-8") as f:
            ev_full = json.load(f)
    tuning = read_table(args.tuning)
    quant = read_table(args.quant)
    timings = {}
    if args.timings and os.path.exists(args.timings):
        with open(args.timings, encoding="utf-8") as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("\t")
                timings[k] = v
    sanity = []
    if args.sanity and os.path.exists(args.sanity):
        with open(args.sanity, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                sanity.append((parts[0], parts[1:]))
    with open(args.template, encoding="utf-8") as f:
        template = f.read()

    model = ev["model"]
    taxonomy = stats["taxonomy"]
    used = stats["args"]["sets"]
    sets = ev["sets"]
    emitted = [l for l in taxonomy if l in model["labels"]]

    # Data table.
    data_rows = []
    for s in used:
        st = stats["sets"][s]
        kept = st["rows_kept"]
        name, lic = LICENCES[s]
        data_rows.append([
            "`%s`" % s, name, st["rows_read"], st["rows_dropped_by_mapping"],
            "%d / %d / %d" % (kept["train"], kept["valid"], kept["test"]),
            lic])
    data_md = md_table(
        ["set", "what", "rows read", "dropped by mapping",
         "kept train / valid / test", "licence"], data_rows,
        ["---", "---", "---:", "---:", "---:", "---"])
    unused = [s for s in LICENCES if s not in used]
    unused_md = "\n".join("- `%s`: %s. Licence: %s" % (
        s, LICENCES[s][0], LICENCES[s][1]) for s in unused)

    dd = stats["dedupe"]
    dedupe_md = (
        "%d texts read, %d unique after normalisation; %d duplicate "
        "occurrences merged (%d texts occur in more than one set, %d in "
        "more than one annotation scheme, %d of which got the union of "
        "different labels); %d "
        "texts whose annotation disagreed within one scheme lost that "
        "scheme's labels; %d texts had no label left and were dropped; "
        "%d rows written." % (
            sum(stats["sets"][s]["rows_read"] for s in used),
            dd["unique_texts"], dd.get("duplicate_occurrences", 0),
            dd.get("texts_in_several_sets", 0),
            dd.get("texts_in_several_schemes", 0),
            dd.get("labels_unioned_across_schemes", 0),
            dd.get("scheme_conflicts_discarded", 0),
            dd.get("texts_without_labels", 0), dd["rows_written"]))

    # Mapping summary: taxonomy label -> sources.
    sources = {l: [] for l in taxonomy}
    dropped = []
    for m in stats["mapping"]:
        weak = [l for l in m["taxonomy_labels"] if l.startswith("weak:")]
        if weak:
            # The rules decided; name the source under every label they gave.
            given = stats["sets"][m["set"]].get("weak_labels", {})
            for l in given:
                sources[l].append("%s:%s (weak)" % (m["set"],
                                                    m["source_label"]))
        elif m["taxonomy_labels"]:
            for l in m["taxonomy_labels"]:
                sources[l].append("%s:%s" % (m["set"], m["source_label"]))
        else:
            dropped.append("%s:%s" % (m["set"], m["source_label"]))
    map_rows = []
    lab = stats["labels"]
    for l in taxonomy:
        map_rows.append([
            "`%s`" % l, lab["train"].get(l, 0), lab["test"].get(l, 0),
            ", ".join(sources[l]) if sources[l] else "**no training data**"])
    mapping_md = md_table(["label", "train rows", "test rows", "from"],
                          map_rows, ["---", "---:", "---:", "---"])
    dropped_md = ", ".join(dropped)

    # Headline metrics per set.
    def set_rows(e):
        rows = []
        order = ["all"] + [x for x in used if x in e["sets"]]
        order += [x for x in e["sets"] if x not in order]
        for s in order:
            m = e["sets"][s]
            op = m["operating_point"]
            rows.append([
                "**all (combined test)**" if s == "all" else "`%s`" % s,
                m["docs"], fmt(m["top1_accuracy"]), fmt(m["macro_f1"]),
                fmt(op["micro_precision"]), fmt(op["micro_recall"]),
                fmt(op["labels_emitted"] / max(1, m["docs"]), 2),
                "%.1f%%" % (100.0 * op["docs_without_label"] /
                            max(1, m["docs"]))])
        return rows
    k = ev["operating_point"]["k"]
    t = ev["operating_point"]["threshold"]
    sets_md = md_table(
        ["test set", "docs", "top-1 accuracy", "macro-F1 (top-1)",
         "P @ top-%d, score>=%s" % (k, t), "R @ top-%d, score>=%s" % (k, t),
         "labels/doc", "no label"], set_rows(ev))
    full_md = ""
    if ev_full:
        full_md = md_table(
            ["test set", "docs", "top-1 accuracy", "macro-F1 (top-1)",
             "P @ op", "R @ op", "labels/doc", "no label"],
            set_rows(ev_full))

    # Per-label table on the combined test split.
    allm = sets["all"]
    label_rows = []
    for l in taxonomy:
        c = allm["top1"]["labels"].get(l)
        co = allm["operating_point"]["labels"].get(l)
        if not c:
            label_rows.append(["`%s`" % l, 0, "-", "-", "-", "-", "-", "-"])
            continue
        label_rows.append([
            "`%s`" % l, c["support"], fmt(c["precision"]), fmt(c["recall"]),
            fmt(c["f1"]), fmt(co["precision"]), fmt(co["recall"]),
            fmt(co["f1"])])
    labels_md = md_table(
        ["label", "support", "P (top-1)", "R (top-1)", "F1 (top-1)",
         "P @ op", "R @ op", "F1 @ op"], label_rows)

    # Tuning.
    def tuning_md(rows, with_bytes=False):
        if not rows:
            return "_not run_"
        header = ["config", "change",
                  "quantise s" if with_bytes else "train s", "top-1",
                  "macro-F1", "micro-F1 @ op"]
        if with_bytes:
            header.insert(3, "size")
        header += ["%s top-1" % s for s in SETS]
        out = []
        for r in rows:
            line = ["`%s`" % r["name"], r["what"], r["seconds"],
                    fmt(r["all_top1"]), fmt(r["all_macro_f1"]),
                    fmt(r["all_op_micro_f1"])]
            if with_bytes:
                line.insert(3, "%.2f MB" % (int(r["bytes"]) / 1e6))
            line += [fmt(r[s + "_top1"]) if r.get(s + "_top1") else "-"
                     for s in SETS]
            out.append(line)
        align = ["---", "---"] + ["---:"] * (len(header) - 2)
        return md_table(header, out, align)

    sanity_md = md_table(
        ["headline", "top labels (score)"],
        [[h, ", ".join(p) if p else "(none)"] for h, p in sanity],
        ["---", "---"]) if sanity else "_not run_"

    calib_rows = []
    for b in allm.get("top1_by_score", []):
        if b["docs"]:
            calib_rows.append([
                "%s – %s" % (b["min"], b["max"]), b["docs"],
                "%.1f%%" % (100.0 * b["docs"] / allm["docs"]),
                fmt(b["correct"] / b["docs"])])
    calib_md = md_table(["top-1 score", "docs", "share", "top-1 accuracy"],
                        calib_rows) if calib_rows else "_not available_"

    weak_md = "_not measured_"
    if args.weak and os.path.exists(args.weak):
        with open(args.weak, encoding="utf-8") as f:
            weak = json.load(f)
        samples = [n for n in ("cctv_calib", "cctv_train", "cctv_heldout",
                               "toutiao_world") if n in weak]
        labels = []  # By the rows the rules give them on the samples.
        for name in samples:
            labels += [l for l, r in weak[name]["labels"].items()
                       if r["given"] and l not in labels]
        labels.sort(key=lambda l: -sum(
            weak[n]["labels"].get(l, {}).get("given") or 0 for n in samples))

        def cell(r):
            if not r or not r["given"]:
                return "-"
            recall = fmt(r["recall"]) if r["recall"] is not None else "-"
            return "%d / %s / %s" % (r["given"], fmt(r["precision"]), recall)

        rows = [["`%s`" % l] + [cell(weak[n]["labels"].get(l))
                                for n in samples] for l in labels]
        weak_md = md_table(["label"] + ["`%s` (%d)" % (n, weak[n]["rows"])
                                        for n in samples], rows,
                           ["---"] + ["---:"] * len(samples))

    no_data = stats["labels_without_data"]
    values = {
        "DATE": datetime.date.today().isoformat() if not args.date
        else args.date,
        "MODEL_BYTES": "%d" % model["bytes"],
        "MODEL_MB": "%.2f" % (model["bytes"] / 1e6),
        "LOSS": model["loss"], "DIM": str(model["dim"]),
        "EPOCH": str(model["epoch"]),
        # A fastText model file does not record its learning rate.
        "LR": flag_value(args.train_flags, "--lr"),
        "WORD_NGRAMS": str(model["word_ngrams"]),
        "MIN_COUNT": str(model["min_count"]), "BUCKET": str(model["bucket"]),
        "WORDS": str(model["words"]),
        "WORDS_FULL": str(ev_full["model"]["words"]) if ev_full else "?",
        "CALIBRATION": calib_md,
        "EMITTED": " ".join("`%s`" % l for l in emitted),
        "N_EMITTED": str(len(emitted)),
        "NO_DATA": " ".join("`%s`" % l for l in no_data) or "none",
        "TRAIN_FLAGS": args.train_flags, "QUANT_FLAGS": args.quant_flags,
        "DATA_TABLE": data_md, "UNUSED_SETS": unused_md,
        "DEDUPE": dedupe_md, "MAPPING_TABLE": mapping_md,
        "DROPPED_SOURCES": dropped_md, "SETS_TABLE": sets_md,
        "SETS_TABLE_FULL": full_md or "_not evaluated_",
        "LABELS_TABLE": labels_md, "TUNING_TABLE": tuning_md(tuning),
        "QUANT_TABLE": tuning_md(quant, with_bytes=True),
        "SANITY_TABLE": sanity_md,
        "K": str(k), "THRESHOLD": str(t),
        "SPLIT": "%d%% test / %d%% valid / rest train" % (
            stats["args"]["test_percent"], stats["args"]["valid_percent"]),
        "SALT": stats["args"]["salt"],
        "ALL_TOP1": fmt(allm["top1_accuracy"]),
        "CCTV_TOP1": fmt(sets["cctv2023"]["top1_accuracy"])
        if "cctv2023" in sets else "-",
        "CCTV_HEADLINE_TOP1": fmt(sets["cctv2023_headlines"]["top1_accuracy"])
        if "cctv2023_headlines" in sets else "-",
        "WEAK_TABLE": weak_md,
        "ALL_MACRO_F1": fmt(allm["macro_f1"]),
    }
    for key, value in timings.items():
        values["TIME_" + key.upper()] = value
    text = template
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        start = text.index("{{")
        raise SystemExit("write_card: unfilled placeholder %s" %
                         text[start:text.index("}}", start) + 2])
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("tune-row")
    p.add_argument("--name", required=True)
    p.add_argument("--what", required=True)
    p.add_argument("--flags", default="")
    p.add_argument("--seconds", required=True)
    p.add_argument("--bytes", default="")
    p.add_argument("--eval", required=True)
    p.add_argument("--table", required=True)
    p = sub.add_parser("card")
    p.add_argument("--template", required=True)
    p.add_argument("--corpus-stats", required=True)
    p.add_argument("--eval", required=True)
    p.add_argument("--eval-full")
    p.add_argument("--tuning")
    p.add_argument("--quant")
    p.add_argument("--sanity")
    p.add_argument("--timings")
    p.add_argument("--weak", help="models/weak/measure.py --json output")
    p.add_argument("--train-flags", default="")
    p.add_argument("--quant-flags", default="")
    p.add_argument("--date", default="")
    p.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.command == "tune-row":
        tune_row(args)
    else:
        card(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
