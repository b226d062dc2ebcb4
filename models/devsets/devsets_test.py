"""Tests of the hand-labelled samples (this folder) and of how the corpus
builder keeps them apart: a story measured by the dev, check, calibration
or held-out sample must never be trained on, and the training sample must
be trained on with its hand labels only. The THUCNews 时政 sample must be
held-out headlines with the taxonomy's labels; the AG News World sample
must be World items the English corpus never reads.

Run: /usr/bin/python3 models/devsets/devsets_test.py"""

import csv
import os
import pathlib
import sys
import tempfile
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import build  # noqa: E402  (this folder's build.py)
import build_corpus  # noqa: E402
import devset  # noqa: E402

DEV_WINDOW = ("cctv2023.tsv", "cctv2023_check.tsv")
OTHER_DAYS = ("cctv_calib.tsv", "cctv_train.tsv", "cctv_heldout.tsv")
# Labelled, read by no build step (LABELLING.md): its stories stay weakly
# labelled rows.
UNUSED = ("cctv_round5.tsv",)


def hand_labels(name):
    return devset.read_hand_labels(os.path.join(HERE, name))


def date_of(key):
    return key.split("-", 1)[0]


class HandSamplesTest(unittest.TestCase):

    def test_no_story_is_in_two_samples(self):
        seen = {}
        for name in DEV_WINDOW + OTHER_DAYS + UNUSED:
            for key in hand_labels(name):
                self.assertNotIn(key, seen,
                                 f"{key} is in {seen.get(key)} and {name}")
                seen[key] = name

    def test_samples_come_from_their_windows(self):
        for name in DEV_WINDOW:
            for key in hand_labels(name):
                self.assertTrue(devset.in_dev_window(date_of(key)),
                                f"{name}: {key} is outside the dev window")
        for name in OTHER_DAYS + UNUSED:
            for key in hand_labels(name):
                self.assertFalse(devset.in_dev_window(date_of(key)),
                                 f"{name}: {key} is inside the dev window")

    def test_labels_are_the_taxonomys_and_appear_once(self):
        for name in DEV_WINDOW + OTHER_DAYS + UNUSED:
            for key, (labels, _) in hand_labels(name).items():
                self.assertEqual(len(labels), len(set(labels)), key)
                for label in labels:
                    self.assertIn(label, build_corpus.TAXONOMY,
                                  f"{name}: {key}")

    def test_every_training_label_has_a_mapping_row(self):
        mapping = build_corpus.load_mapping(
            os.path.join(os.path.dirname(HERE), "taxonomy_mapping.tsv"))
        for key, (labels, _) in hand_labels("cctv_train.tsv").items():
            for label in labels:
                self.assertEqual(mapping.get(("cctv_hand", label)), (label,),
                                 f"{key}: no cctv_hand row for {label}")


class ThucnewsPoliticsSampleTest(unittest.TestCase):
    """The THUCNews 时政 sample: held-out headlines, taxonomy labels, and
    the three forms build.py scores it in."""

    def setUp(self):
        self.rows = [line.rstrip("\n").split("\t", 1) for line in
                     build.labelled_lines(
                         build.HERE / "thucnews_politics.tsv")]

    def test_200_distinct_test_split_headlines_with_taxonomy_labels(self):
        self.assertEqual(len(self.rows), 200)
        self.assertEqual(len({text for _, text in self.rows}), 200)
        for labels, text in self.rows:
            split = build_corpus.split_of(
                build_corpus.dedupe_key(text), "classifyd-news-topics-1",
                10, 10)
            self.assertEqual(split, "test", text)
            labels = labels.split(",")
            self.assertEqual(len(labels), len(set(labels)), text)
            for label in labels:
                self.assertIn(label, build_corpus.TAXONOMY, text)

    def test_forms_are_thucnews_label_hand_labels_and_both(self):
        with tempfile.TemporaryDirectory() as out:
            build.write_thucnews_politics(pathlib.Path(out))
            forms = {}
            for form in ("thucnews", "taxonomy", "either"):
                path = os.path.join(out, f"thucnews_politics.{form}.tsv")
                with open(path, encoding="utf-8") as f:
                    forms[form] = [line.rstrip("\n").split("\t", 1)
                                   for line in f]
        for i, (hand, text) in enumerate(self.rows):
            hand = hand.split(",")
            self.assertEqual(forms["thucnews"][i], ["politics", text])
            self.assertEqual(forms["taxonomy"][i], [",".join(hand), text])
            either, either_text = forms["either"][i]
            self.assertEqual(either_text, text)
            self.assertEqual(set(either.split(",")), set(hand) | {"politics"})
            self.assertEqual(len(either.split(",")),
                             len(set(either.split(","))))


class AgWorldSampleTest(unittest.TestCase):
    """The AG News World sample: taxonomy labels, never a training row,
    and the two forms build.py writes. build.py checks that every key is
    an item of the data set."""

    def setUp(self):
        self.hand = hand_labels("ag_world.tsv")
        self.tmp = tempfile.TemporaryDirectory()
        # An AG News folder of two of the sample's items (their headlines;
        # the descriptions are left empty) as the data set writes them.
        self.folder = pathlib.Path(self.tmp.name) / "ag_news_en"
        self.folder.mkdir()
        (self.folder / "classes.txt").write_text(
            "World\nSports\nBusiness\nSci/Tech\n", encoding="utf-8")
        self.titles = [title for _, title in list(self.hand.values())[:2]]
        with (self.folder / "test.csv").open("w", encoding="utf-8",
                                              newline="") as f:
            out = csv.writer(f, quoting=csv.QUOTE_ALL)
            for title in self.titles:
                out.writerow(["1", title, ""])

    def tearDown(self):
        self.tmp.cleanup()

    def test_160_items_with_taxonomy_labels(self):
        self.assertEqual(len(self.hand), 160)
        for key, (labels, _) in self.hand.items():
            self.assertRegex(key, r"^ag-[0-9a-f]{12}$")
            self.assertEqual(len(labels), len(set(labels)), key)
            for label in labels:
                self.assertIn(label, build_corpus.TAXONOMY, key)

    def test_the_corpus_reads_no_item_of_the_sample(self):
        sampled = {devset.ag_key(self.titles[0], "")}
        with mock.patch.object(devset, "ag_world_keys", return_value=sampled):
            texts = [item[1] for item in
                     build_corpus.read_ag_news(str(self.folder))]
        self.assertEqual(texts, [self.titles[1] + ". ", self.titles[1]])

    def test_forms_are_title_and_description_and_title_alone(self):
        labels_file = pathlib.Path(self.tmp.name) / "labels.tsv"
        labels_file.write_text(
            "key\tlabels\ttitle\n" + "".join(
                f"{devset.ag_key(t, '')}\tpolitics,diplomacy\t{t}\n"
                for t in self.titles), encoding="utf-8")
        out = pathlib.Path(self.tmp.name) / "out"
        out.mkdir()
        self.assertEqual(build.write_ag_world(
            pathlib.Path(self.tmp.name), out, labels_file), 2)
        self.assertEqual(
            (out / "ag_world.tsv").read_text(encoding="utf-8"),
            "".join(f"politics,diplomacy\t{build.clean(t + '. ')}\n"
                    for t in self.titles))
        self.assertEqual(
            (out / "ag_world.title.tsv").read_text(encoding="utf-8"),
            "".join(f"politics,diplomacy\t{build.clean(t)}\n"
                    for t in self.titles))


class CorpusRowsTest(unittest.TestCase):
    """The corpus readers on a stories.tsv holding one story of each
    sample, rebuilt from its key (date) and title, and one story of none."""

    LEAD = "第一句话。第二句话。"

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.picked = {}
        rows = []
        for name in DEV_WINDOW + OTHER_DAYS:
            key, (labels, title) = next(iter(hand_labels(name).items()))
            self.picked[name] = (key, labels)
            rows.append((date_of(key), title))
        rows.append(("20240105", "一条不在任何样本里的新闻"))
        path = os.path.join(self.tmp.name, "stories.tsv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            out = csv.writer(f, delimiter="\t", lineterminator="\n")
            out.writerow(["date", "section", "weak_label", "url", "title",
                          "text"])
            for date, title in rows:
                out.writerow([date, "story", "", "", title, self.LEAD])

    def tearDown(self):
        self.tmp.cleanup()

    def test_weak_rows_leave_out_every_hand_labelled_story(self):
        texts = [item[1] for item in build_corpus.read_cctv(self.tmp.name)]
        self.assertEqual(texts, ["一条不在任何样本里的新闻"])

    def test_training_stories_come_as_headline_and_headline_with_lead(self):
        key, labels = self.picked["cctv_train.tsv"]
        title = hand_labels("cctv_train.tsv")[key][1]
        rows = list(build_corpus.read_cctv_hand(self.tmp.name))
        self.assertEqual(
            [(r[0], r[1], r[3]) for r in rows],
            [(labels, title, "train"),
             (labels, title + " 第一句话。", "train")])


if __name__ == "__main__":
    unittest.main()
