#!/usr/bin/python3
"""Builds the labelled training corpus of the news-topics model.

Reads the public sets in shared/data (never writes there), normalises the
texts, maps every set's labels onto the classifyd taxonomy with the reviewed
table models/taxonomy_mapping.tsv, de-duplicates across all sets and writes
deterministic train/valid/test splits:

  OUT/train.tsv, OUT/valid.tsv, OUT/test.tsv      all sets combined
  OUT/sets/<set>.{train,valid,test}.tsv           per set (rows the set labelled)
  OUT/rows.tsv                                    every kept row with provenance
  OUT/stats.json                                  counts for the model card

TSV rows are `label[,label...]<TAB>text`, the input format of classifyd-train.

Normalisation: Unicode NFKC, format characters (zero-width space, BOM, ...)
removed, control characters and all whitespace runs become one space. The
word-segmented NLPCC headlines are re-joined first (a space is kept only
between two Latin/digit tokens).

De-duplication key: the normalised text, case-folded, with everything but
letters and digits removed, so that the same headline with different spacing
or punctuation is one row.

Label resolution for a duplicated text: occurrences are grouped by annotation
scheme (CLUE TNEWS and FewCLUE TNEWS share one scheme). If the occurrences of
one scheme disagree after mapping (including "mapped" vs "dropped"), that
scheme's annotation of the text is discarded as noise. The labels of the
remaining schemes are unioned: different schemes describe different facets
(e.g. a DuEE "disaster" event in a THUCNews "society" headline), and the
taxonomy is multi-label. A text left without labels is dropped.

Split: a row goes to test if sha256(salt + key) mod 100 < test%, to valid if
below test% + valid%, else train. The key is the de-duplication key, so the
same text is in the same split in every set and nothing leaks from train to
test through duplicates. Changing --salt gives a different split.

Weak labels: a mapping target `weak:world` or `weak:cctv` means the topic
is decided by the rules in models/weak/rules.py instead (international news
and the unlabelled CCTV stories); `weak:world_en`, by models/weak/rules_en.py
(AG News World, English). Such a row keeps the rules' labels, and a CCTV
story no rule matches is left out. Every training row, labelled or
not, also gets the rules' TOPICAL labels (rules.py: `fraud`, which no
labelled set has), in place of the label each outranks; valid and test rows
keep their sets' own labels.

Fixed splits: a reader may put a row in a split of its own (SIB-200 ships
train/dev/test files), which wins over the hash. Weakly labelled rows are
training data only, so every valid and test split stays hand-labelled.

Held out from training: every CCTV row dated in the dev window, every row
of the hand-labelled calibration and held-out samples, and the hand-labelled
AG News World sample (models/devsets/). The
hand-labelled training sample (devsets/cctv_train.tsv) is the set
`cctv_hand`, in place of those stories' weakly labelled rows.

Standard library only; run with /usr/bin/python3.
"""

import argparse
import collections
import csv
import hashlib
import json
import os
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "weak"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "devsets"))
import devset  # noqa: E402
import rules as weak_rules  # noqa: E402
import rules_en as weak_rules_en  # noqa: E402

DEVSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "devsets")
TAXONOMY = (
    "fraud disaster diplomacy finance politics military society sports "
    "technology science entertainment health weather education culture "
    "travel autos real_estate agriculture games lifestyle"
).split()

# Set id -> (annotation scheme, folder in shared/data).
SETS = {
    "nlpcc2017": ("nlpcc", "nlpcc2017_news_headline"),
    "clue_tnews": ("tnews", "clue_tnews_public"),
    "fewclue_tnews": ("tnews", "fewclue_tnews"),
    "thucnews": ("thucnews", "thucnews_titles_10class"),
    "duee": ("duee", "duee_event_types"),
    "cec": ("cec", "cec_corpus"),
    "telecom_fraud": ("fraud", "telecom_fraud_texts_5"),
    "ag_news": ("ag", "ag_news_en"),
    "toutiao": ("toutiao", "toutiao_news_20k"),
    "cctv": ("cctv", "xinwenlianbo_cctv"),
    "cctv_hand": ("cctv_hand", "xinwenlianbo_cctv"),
    "sib200": ("sib200", "sib200_topic"),
    "bbc": ("bbc", "bbc_news_en_plus"),
    "sib200_en": ("sib200_en", "sib200_topic"),
}
DEFAULT_SETS = ("nlpcc2017,clue_tnews,fewclue_tnews,thucnews,duee,cec,"
                "toutiao,cctv,cctv_hand,sib200")
# Which occurrence's text a merged row keeps: un-segmented sources first.
TEXT_PRIORITY = ["clue_tnews", "fewclue_tnews", "toutiao", "thucnews", "duee",
                 "cec", "cctv", "cctv_hand", "sib200", "telecom_fraud",
                 "ag_news", "bbc", "sib200_en", "nlpcc2017"]
WEAK_TARGETS = ("weak:world", "weak:cctv", "weak:world_en")
# Toutiao's sample is drawn from the pool TNEWS came from: where a text is in
# both, TNEWS's annotation is the one kept (so TNEWS's held-out split is
# unchanged by the new set).
DEFERS_TO = {"toutiao": "tnews"}
# Characters of a CCTV story's body kept after its headline in a training
# row: the lead and a little more, as a portal's headline + lead.
CCTV_BODY_CHARS = 200
# Which CCTV training rows (--cctv-rows): "title", "body" (the headline with
# the start of the body), "both", or "lead" (the headline, and the headline
# with the body's first sentence, as a portal's headline + lead).
CCTV_ROWS = "title"

_WS = re.compile(r"\s+")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")


class CorpusError(Exception):
    pass


def normalize(text):
    """NFKC, drop format characters, one space for any whitespace/control."""
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cf":
            continue
        out.append(" " if cat == "Cc" else ch)
    return _WS.sub(" ", "".join(out)).strip()


def dedupe_key(text):
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def join_segmented(text):
    """Re-joins a space-segmented headline: '芒果 TV 专区' -> '芒果TV专区',
    'iPhone 7' stays 'iPhone 7'."""
    tokens = text.split()
    if not tokens:
        return ""
    out = [tokens[0]]
    for token in tokens[1:]:
        if _ASCII_ALNUM.match(out[-1][-1]) and _ASCII_ALNUM.match(token[0]):
            out.append(" ")
        out.append(token)
    return "".join(out)


# ---------------------------------------------------------------------------
# Readers: each yields (source_labels: list[str], text: str, origin: str).


def read_nlpcc(root):
    # test.full/test.word and test.char hold the same 36k headlines; the word
    # file re-joins more faithfully (Latin words are not split into letters).
    path = os.path.join(root, "FudanNLP", "test.full", "test.word")
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            label, sep, text = line.partition("\t")
            if not sep:
                raise CorpusError("%s:%d: no tab" % (path, n))
            yield [label], join_segmented(text), "FudanNLP/test.full/test.word"
    path = os.path.join(root, "cPromptSource_dev", "dev.csv")
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != ["category", "news"]:
            raise CorpusError("%s: unexpected header %r" % (path, header))
        for row in reader:
            yield [row[0]], join_segmented(row[1]), "cPromptSource_dev/dev.csv"


def _read_tnews_json(path, origin):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                yield [d["label_desc"]], d["sentence"], origin


def read_clue_tnews(root):
    for rel in ("cPromptSource_dev/dev.json", "tigergeng_TextCNN/dev.json",
                "tigergeng_TextCNN/test.json"):
        yield from _read_tnews_json(os.path.join(root, rel), rel)


def read_fewclue_tnews(root):
    for rel in ("train_few_all.json", "dev_few_all.json"):
        yield from _read_tnews_json(os.path.join(root, rel), rel)


def read_thucnews(root):
    for part, rel in (("649453932", "dev.txt"),
                      ("zjuneverknow_train_subset", "train.txt")):
        # Both parts' class.txt list the same order (English / Chinese); the
        # English names of part 1 are the source labels.
        with open(os.path.join(root, "649453932", "class.txt"),
                  encoding="utf-8") as f:
            classes = f.read().split()
        path = os.path.join(root, part, rel)
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\r\n")
                if not line:
                    continue
                text, sep, index = line.rpartition("\t")
                if not sep or not index.isdigit():
                    raise CorpusError("%s:%d: bad line" % (path, n))
                yield [classes[int(index)]], text, part + "/" + rel


def read_duee(root):
    for rel in ("train_event.txt", "valid_event.txt"):
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    d = json.loads(line)
                    yield sorted(set(d["label"])), d["text1"], rel


def read_cec(root):
    base = os.path.join(root, "CEC")
    for category in sorted(os.listdir(base)):
        folder = os.path.join(base, category)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".xml"):
                continue
            tree = ET.parse(os.path.join(folder, name))
            body = tree.getroot()
            title = (body.findtext("Title") or "").strip()
            content = body.find("Content")
            text = "".join(content.itertext()) if content is not None else ""
            if not title:
                title = name[:-4]
            yield [category], title + "。" + text, "CEC/%s/%s" % (category,
                                                                  name)


def read_telecom_fraud(root):
    for i in range(5):
        rel = "label%02d-last.csv" % i
        encoding = "gb18030" if i == 4 else "utf-8-sig"
        with open(os.path.join(root, rel), encoding=encoding,
                  newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            if header != ["content", "label"]:
                raise CorpusError("%s: unexpected header %r" % (rel, header))
            for row in reader:
                if len(row) >= 2 and row[0].strip():
                    yield [row[1].strip()], row[0], rel


def read_ag_news(root):
    """AG News items as title + description, and as the title alone; the
    hand-labelled World sample (devsets/ag_world.tsv) is left out."""
    skip = devset.ag_world_keys()
    for key, source, title, description in devset.read_ag_news(root):
        if key in skip:
            continue
        text = title + ". " + description
        yield ([source], text, "test.csv", None, description, None,
               normalize(title))
        # The headline alone too, so that short English texts of every
        # topic are seen: otherwise the only short rows are the BBC
        # set's health, science and crime headlines, and the model
        # reads shortness itself as those topics.
        yield [source], title, "test.csv:headline", None, "", text


def read_toutiao(root):
    for rel in ("toutiao_cat_data.dev.txt", "toutiao_cat_data.test.txt"):
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                cols = line.rstrip("\r\n").split("_!_")
                if len(cols) < 4:
                    raise CorpusError("%s:%d: expected 5 _!_ fields" % (rel, n))
                yield [cols[2]], cols[3], rel


def read_cctv(root):
    """CCTV stories outside the dev window, the calibration and held-out
    samples and the hand-labelled training sample, as training rows: the
    headline, the headline with the start of the body, or the headline
    with its lead as well (CCTV_ROWS). Source label: the broadcast
    section."""
    skip = (devset.measuring_keys() |
            devset.read_keys(os.path.join(DEVSETS, "cctv_train.tsv")))
    section = {"国际联播快讯": "world", "国内联播快讯": "domestic"}
    for row in devset.read_cctv_dir(root):
        if devset.in_dev_window(row["date"]) or row["key"] in skip:
            continue
        source = section.get(row["section"], "story")
        lead = devset.lead(row["text"])
        title = row["title"]
        if CCTV_ROWS in ("title", "both", "lead"):
            yield [source], title, "stories.tsv:title", "train", lead
        if CCTV_ROWS == "lead" and lead:
            yield [source], title + " " + lead, "stories.tsv:lead", "train", lead
        if CCTV_ROWS in ("body", "both"):
            body = row["text"][:CCTV_BODY_CHARS]
            yield [source], title + "。" + body, "stories.tsv:body", "train", lead


def read_cctv_hand(root):
    """The hand-labelled CCTV training sample (devsets/cctv_train.tsv, drawn
    from outside the dev window): each story as its headline, and as its
    headline with its lead, the two forms current news reaches the daemon
    in. Source labels: the taxonomy's own."""
    hand = devset.read_hand_labels(os.path.join(DEVSETS, "cctv_train.tsv"))
    for row in devset.read_cctv_dir(root):
        if row["key"] in hand:
            labels = hand[row["key"]][0]
            lead = devset.lead(row["text"])
            yield labels, row["title"], "stories.tsv:hand title", "train"
            yield (labels, row["title"] + " " + lead,
                   "stories.tsv:hand title+lead", "train")


def read_bbc(root):
    """BBC News articles (lower-cased) and the extra English headlines: the
    first 600 characters of a text (an article's opening, as a lead)."""
    rel = "BBC News Train.csv"
    with open(os.path.join(root, rel), encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        if next(reader) != ["ArticleId", "Text", "Category"]:
            raise CorpusError("%s: unexpected header" % rel)
        for row in reader:
            if len(row) == 3 and row[1].strip():
                yield [row[2].strip().lower()], row[1][:600], rel


def read_sib200_en(root):
    yield from read_sib200(root, "eng_Latn")


def read_sib200(root, language="zho_Hans"):
    """SIB-200 in one language; its own train/dev/test split."""
    for part, split in (("train", "train"), ("dev", "valid"), ("test", "test")):
        rel = "%s/%s.tsv" % (language, part)
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            if header != ["index_id", "category", "text"]:
                raise CorpusError("%s: unexpected header %r" % (rel, header))
            for line in f:
                cols = line.rstrip("\n").split("\t")
                if len(cols) == 3:
                    yield [cols[1]], cols[2], rel, split


READERS = {
    "toutiao": read_toutiao,
    "cctv": read_cctv,
    "cctv_hand": read_cctv_hand,
    "sib200": read_sib200,
    "bbc": read_bbc,
    "sib200_en": read_sib200_en,
    "nlpcc2017": read_nlpcc,
    "clue_tnews": read_clue_tnews,
    "fewclue_tnews": read_fewclue_tnews,
    "thucnews": read_thucnews,
    "duee": read_duee,
    "cec": read_cec,
    "telecom_fraud": read_telecom_fraud,
    "ag_news": read_ag_news,
}

# ---------------------------------------------------------------------------


def load_mapping(path):
    """Returns {(set, source_label): tuple(taxonomy labels)}."""
    mapping = {}
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().splitlines()
    if not lines or lines[0].split("\t")[:3] != ["set", "source_label",
                                                 "taxonomy_labels"]:
        raise CorpusError("%s: header must be set, source_label, "
                          "taxonomy_labels, note" % path)
    for n, line in enumerate(lines[1:], 2):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 3:
            raise CorpusError("%s:%d: expected 4 tab-separated columns" %
                              (path, n))
        set_id, source, targets = cols[0], cols[1], cols[2]
        if set_id not in SETS:
            raise CorpusError("%s:%d: unknown set %r" % (path, n, set_id))
        labels = tuple(sorted(t.strip() for t in targets.split(",")
                              if t.strip()))
        if any(l in WEAK_TARGETS for l in labels) and len(labels) > 1:
            raise CorpusError("%s:%d: a weak: target stands alone" % (path, n))
        for label in labels:
            if label not in TAXONOMY and label not in WEAK_TARGETS:
                raise CorpusError("%s:%d: %r is not a taxonomy label" %
                                  (path, n, label))
        if (set_id, source) in mapping:
            raise CorpusError("%s:%d: duplicate row for %s/%s" %
                              (path, n, set_id, source))
        mapping[(set_id, source)] = labels
    return mapping


def weak_targets(target, text, lead, title=None):
    """The taxonomy labels the weak rules give a row (rules.py, or
    rules_en.py for English international news). `title`: the row's
    headline, when its text is more than a headline and not cut at 。."""
    if target == "weak:world_en":
        return tuple(weak_rules_en.world_labels(title or text, lead))
    title = text.split("。", 1)[0]
    if target == "weak:world":
        # Only CCTV's international items are current affairs throughout.
        return tuple(weak_rules.world_labels(title, lead, fallback=bool(lead)))
    return tuple(weak_rules.labels_for(title, lead))


def split_of(key, salt, test_percent, valid_percent):
    digest = hashlib.sha256((salt + key).encode("utf-8")).hexdigest()
    bucket = int(digest[:16], 16) % 100
    if bucket < test_percent:
        return "test"
    if bucket < test_percent + valid_percent:
        return "valid"
    return "train"


def parse_repeats(specs, sets, parser):
    """{set: copies} from --repeat SET=N."""
    repeats = {}
    for spec in specs:
        name, _, n = spec.partition("=")
        if name not in sets or not n.isdigit() or int(n) < 1:
            parser.error("--repeat %r: want SET=N with SET one of the sets "
                         "used and N >= 1" % spec)
        repeats[name] = int(n)
    return repeats


def repeated(rows, repeats):
    """Rows with each row of a repeated set N times (the most of its
    sets'), the copies spread through the file in a fixed hash order, so
    that fastText's decaying learning rate treats them like the rest."""
    if not repeats:
        return rows
    out = []
    for r in rows:
        copies = max([repeats.get(s, 1) for s in r[4]] + [1])
        for i in range(copies):
            order = hashlib.sha256(("%s#%d" % (r[0], i)).encode()).hexdigest()
            out.append((order, r))
    out.sort(key=lambda o: o[0])
    return [r for _, r in out]


def write_tsv(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for labels, text in rows:
            f.write(",".join(labels) + "\t" + text + "\n")


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See the module docstring for the rules.")
    parser.add_argument("--data", required=True,
                        help="shared/data directory (read only)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--mapping",
                        default=os.path.join(here, "taxonomy_mapping.tsv"),
                        help="label mapping table (default: %(default)s)")
    parser.add_argument("--sets", default=DEFAULT_SETS,
                        help="comma-separated sets to use, from: " +
                        ", ".join(SETS) + " (default: %(default)s)")
    parser.add_argument("--cctv-rows", choices=["title", "body", "both", "lead"],
                        default="title",
                        help="CCTV training rows (default: %(default)s)")
    parser.add_argument("--repeat", action="append", default=[],
                        metavar="SET=N",
                        help="write the train rows of SET N times into "
                        "train.tsv (row weighting; repeatable; the "
                        "per-set files keep one copy)")
    parser.add_argument("--test-percent", type=int, default=10)
    parser.add_argument("--valid-percent", type=int, default=10)
    parser.add_argument("--salt", default="classifyd-news-topics-1",
                        help="split salt (default: %(default)s)")
    args = parser.parse_args(argv)
    global CCTV_ROWS
    CCTV_ROWS = args.cctv_rows

    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    for s in sets:
        if s not in SETS:
            parser.error("unknown set %r" % s)
    mapping = load_mapping(args.mapping)

    # key -> list of occurrences (set, scheme, mapped labels or None, text).
    occurrences = collections.defaultdict(list)
    stats = {"sets": {}, "taxonomy": TAXONOMY, "args": {
        "sets": sets, "test_percent": args.test_percent,
        "valid_percent": args.valid_percent, "salt": args.salt,
        "mapping": os.path.basename(args.mapping)}}
    missing = set()
    held_out_headlines = collections.defaultdict(list)  # (set, split) -> rows
    for set_id in sets:
        scheme, folder = SETS[set_id]
        root = os.path.join(args.data, folder)
        s = {"scheme": scheme, "folder": folder, "rows_read": 0,
             "rows_empty_text": 0, "rows_dropped_by_mapping": 0,
             "source_labels": collections.Counter(),
             "dropped_source_labels": collections.Counter(),
             "origins": collections.Counter(), "weak_rows": 0,
             "weak_labels": collections.Counter()}
        for item in READERS[set_id](root):
            source_labels, raw_text, origin = item[:3]
            fixed_split = item[3] if len(item) > 3 else None
            lead = item[4] if len(item) > 4 else ""
            # The headline of another row (that row's text), given alone.
            headline_of = item[5] if len(item) > 5 else None
            # The headline of this row, where its text holds more.
            title = item[6] if len(item) > 6 else None
            s["rows_read"] += 1
            s["origins"][origin] += 1
            text = normalize(raw_text)
            key = dedupe_key(text)
            if not key:
                s["rows_empty_text"] += 1
                continue
            mapped = set()
            for source in source_labels:
                s["source_labels"][source] += 1
                if (set_id, source) not in mapping:
                    missing.add((set_id, source))
                    continue
                targets = mapping[(set_id, source)]
                if targets and targets[0] in WEAK_TARGETS:
                    targets = weak_targets(targets[0], text, lead, title)
                    # Weak labels train; they are never scored as gold.
                    fixed_split = "train"
                    s["weak_rows"] += 1
                    s["weak_labels"].update(targets)
                if not targets:
                    s["dropped_source_labels"][source] += 1
                mapped.update(targets)
            if not mapped:
                s["rows_dropped_by_mapping"] += 1
            if headline_of is not None and mapped and fixed_split is None:
                # In the split of its whole row (unless the rules fixed it:
                # weak labels train): trained on with it, else held out in a
                # headlines-only set of its own.
                whole = split_of(dedupe_key(normalize(headline_of)),
                                 args.salt, args.test_percent,
                                 args.valid_percent)
                if whole != "train":
                    held_out_headlines[(set_id, whole)].append(
                        (tuple(sorted(mapped)), text))
                    continue
                fixed_split = "train"
            occurrences[key].append(
                (set_id, scheme, tuple(sorted(mapped)) or None, text,
                 fixed_split))
        stats["sets"][set_id] = s
    if missing:
        raise CorpusError(
            "source labels without a row in %s (review and add them):\n  " %
            args.mapping + "\n  ".join("%s\t%s" % m for m in sorted(missing)))

    # Resolve duplicates.
    rows = []  # (key, split, labels, text, contributing sets, all sets)
    dedupe = collections.Counter()
    conflicts_examples = []
    for key, occ in occurrences.items():
        schemes = {o[1] for o in occ}
        occ = [o for o in occ if DEFERS_TO.get(o[1]) not in schemes]
        by_scheme = collections.defaultdict(set)
        for set_id, scheme, mapped, _, _ in occ:
            by_scheme[scheme].add(mapped)
        if len(occ) > 1:
            dedupe["duplicate_occurrences"] += len(occ) - 1
            if len({o[0] for o in occ}) > 1:
                dedupe["texts_in_several_sets"] += 1
        if len(by_scheme) > 1:
            dedupe["texts_in_several_schemes"] += 1
        labels = set()
        good_schemes = set()
        good_label_sets = set()
        for scheme, variants in by_scheme.items():
            if len(variants) > 1:
                dedupe["scheme_conflicts_discarded"] += 1
                if len(conflicts_examples) < 20:
                    conflicts_examples.append(
                        [scheme, occ[0][3],
                         sorted(",".join(v) if v else "-" for v in variants)])
                continue
            (mapped,) = variants
            if mapped:
                labels.update(mapped)
                good_schemes.add(scheme)
                good_label_sets.add(mapped)
        if len(good_label_sets) > 1:
            dedupe["labels_unioned_across_schemes"] += 1
        if not labels:
            dedupe["texts_without_labels"] += 1
            continue
        contributing = sorted({o[0] for o in occ
                               if o[1] in good_schemes and o[2]})
        text = min(occ, key=lambda o: TEXT_PRIORITY.index(o[0]))[3]
        fixed = [o[4] for o in occ if o[4]]
        split = fixed[0] if fixed else split_of(
            key, args.salt, args.test_percent, args.valid_percent)
        if split == "train":
            topical = weak_rules.with_topical(labels, text)
            if topical != tuple(sorted(labels)):
                dedupe["train_rows_given_topical_labels"] += 1
                labels = set(topical)
        rows.append((key, split, tuple(sorted(labels)), text, contributing,
                     sorted({o[0] for o in occ})))
    rows.sort(key=lambda r: (r[1], hashlib.sha256(r[0].encode()).hexdigest()))

    os.makedirs(os.path.join(args.out, "sets"), exist_ok=True)
    label_counts = {sp: collections.Counter() for sp in ("train", "valid",
                                                         "test")}
    repeats = parse_repeats(args.repeat, sets, parser)
    for split in ("train", "valid", "test"):
        chosen = [r for r in rows if r[1] == split]
        written = repeated(chosen, repeats) if split == "train" else chosen
        write_tsv(os.path.join(args.out, split + ".tsv"),
                  [(r[2], r[3]) for r in written])
        for r in chosen:
            label_counts[split].update(r[2])
    per_set_rows = {}
    for set_id in sets:
        per_set_rows[set_id] = {}
        for split in ("train", "valid", "test"):
            chosen = [r for r in rows if r[1] == split and set_id in r[4]]
            write_tsv(os.path.join(args.out, "sets",
                                   "%s.%s.tsv" % (set_id, split)),
                      [(r[2], r[3]) for r in chosen])
            per_set_rows[set_id][split] = len(chosen)
            stats["sets"][set_id].setdefault("labels_" + split,
                                             collections.Counter()).update(
                                                 l for r in chosen
                                                 for l in r[2])
    for (set_id, split), chosen in sorted(held_out_headlines.items()):
        write_tsv(os.path.join(args.out, "sets", "%s_headlines.%s.tsv" %
                               (set_id, split)), chosen)
    with open(os.path.join(args.out, "rows.tsv"), "w", encoding="utf-8",
              newline="\n") as f:
        f.write("split\tkey_sha256\tlabels\tlabelled_by\tseen_in\ttext\n")
        for key, split, labels, text, contributing, seen in rows:
            f.write("\t".join([split,
                               hashlib.sha256(key.encode()).hexdigest()[:16],
                               ",".join(labels), ",".join(contributing),
                               ",".join(seen), text]) + "\n")

    for set_id in sets:
        stats["sets"][set_id]["rows_kept"] = per_set_rows[set_id]
    stats["dedupe"] = dict(dedupe)
    stats["dedupe"]["unique_texts"] = len(occurrences)
    stats["dedupe"]["rows_written"] = len(rows)
    stats["conflict_examples"] = conflicts_examples
    stats["labels"] = {sp: dict(sorted(c.items()))
                       for sp, c in label_counts.items()}
    stats["labels_without_data"] = [l for l in TAXONOMY
                                    if not label_counts["train"][l]]
    stats["mapping"] = [
        {"set": s, "source_label": src, "taxonomy_labels": list(t)}
        for (s, src), t in sorted(mapping.items()) if s in sets]
    with open(os.path.join(args.out, "stats.json"), "w",
              encoding="utf-8") as f:
        json.dump(stats, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")

    total = {sp: sum(1 for r in rows if r[1] == sp)
             for sp in ("train", "valid", "test")}
    print("corpus: %d unique texts, %d rows kept (train %d, valid %d, "
          "test %d) -> %s" % (len(occurrences), len(rows), total["train"],
                              total["valid"], total["test"], args.out))
    for set_id in sets:
        s = stats["sets"][set_id]
        print("  %-14s read %6d  dropped by mapping %6d  kept train/valid/"
              "test %d/%d/%d" % (set_id, s["rows_read"],
                                 s["rows_dropped_by_mapping"],
                                 *per_set_rows[set_id].values()))
    print("  dedupe: %s" % json.dumps(stats["dedupe"], sort_keys=True))
    if stats["labels_without_data"]:
        print("  labels without training data: " +
              " ".join(stats["labels_without_data"]))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except CorpusError as e:
        print("build_corpus: error: %s" % e, file=sys.stderr)
        sys.exit(1)
