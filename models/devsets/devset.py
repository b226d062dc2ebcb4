"""The CCTV 2023 dev set: which rows it may come from and how they are keyed.

A row of xinwenlianbo_cctv/stories.tsv is keyed by its date and the first 12
hex digits of the SHA-1 of its title, so the hand labels (cctv2023.tsv) name
rows without copying their text. A document is scored as its title plus its
lead (the body's first sentence, at most LEAD_CHARS characters), or as the
title alone.

The hand-labelled AG News World sample (ag_world.tsv) is keyed the same
way, by a hash of each item's title and description (ag_key).
"""

import csv
import hashlib
import os
import re
import sys

# Dev window: never trained on. The data set itself holds out
# 2023-08-10 .. 2023-09-10; the days on both sides of it are ours.
DEV_FIRST, DEV_LAST = "20230701", "20231015"
LEAD_CHARS = 120


def in_dev_window(date):
    return DEV_FIRST <= date <= DEV_LAST


def key_of(date, title):
    return date + "-" + hashlib.sha1(title.encode("utf-8")).hexdigest()[:12]


def lead(text):
    m = re.match(r"(.+?[。！？!?])", text)
    first = m.group(1) if m else text
    return first[:LEAD_CHARS]


def read_hand_labels(path):
    """key -> (labels, title) of a hand-label file (cctv2023.tsv,
    cctv_calib.tsv, toutiao_world.tsv: key, labels, title; one header)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            key, labels, title = line.rstrip("\n").split("\t", 2)
            out[key] = (labels.split(","), title)
    return out


def read_keys(path):
    """The keys (first column) of a hand-label file such as cctv_calib.tsv."""
    with open(path, encoding="utf-8") as f:
        next(f)
        return {line.split("\t", 1)[0] for line in f if line.strip()}


def ag_world_keys():
    """Keys of the hand-labelled AG News World sample (ag_world.tsv):
    never to be trained on."""
    here = os.path.dirname(os.path.abspath(__file__))
    return read_keys(os.path.join(here, "ag_world.tsv"))


def measuring_keys():
    """Keys of the stories outside the dev window that a hand-labelled
    sample measures with (calibration and held-out samples): never to be
    trained on. The dev window's stories are kept out by date."""
    here = os.path.dirname(os.path.abspath(__file__))
    return (read_keys(os.path.join(here, "cctv_calib.tsv")) |
            read_keys(os.path.join(here, "cctv_heldout.tsv")))


def ag_key(title, description):
    """The key of an AG News item (ag_world.tsv): the first 12 hex digits
    of the SHA-1 of its title and description as the data set has them."""
    digest = hashlib.sha1((title + "\n" + description).encode("utf-8"))
    return "ag-" + digest.hexdigest()[:12]


def read_ag_news(folder):
    """(key, class, title, description) of every item of AG News in
    `folder` (<data>/ag_news_en); class is the data set's name (World,
    Sports, Business, Sci/Tech). Backslashes of the description (the data
    set's line breaks) become spaces."""
    with open(os.path.join(folder, "classes.txt"), encoding="utf-8") as f:
        classes = f.read().split()
    with open(os.path.join(folder, "test.csv"), encoding="utf-8",
              newline="") as f:
        for row in csv.reader(f):
            description = row[2].replace("\\", " ")
            yield (ag_key(row[1], description), classes[int(row[0]) - 1],
                   row[1], description)


def read_cctv(data):
    """The rows of <data>/xinwenlianbo_cctv/stories.tsv, each with its key."""
    yield from read_cctv_dir(os.path.join(data, "xinwenlianbo_cctv"))


def read_cctv_dir(folder):
    csv.field_size_limit(sys.maxsize)
    path = os.path.join(folder, "stories.tsv")
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in reader:
            row["key"] = key_of(row["date"], row["title"])
            yield row
