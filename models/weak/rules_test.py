"""Tests of the weak-labelling rules (rules.py) on real headlines of the
training data. Run: /usr/bin/python3 models/weak/rules_test.py"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rules  # noqa: E402


class LabelsForTest(unittest.TestCase):

    def test_specific_topics_come_before_general_ones(self):
        self.assertEqual(
            rules.labels_for("湖北将集中排查房地产领域非法集资 重点查五方面"),
            ["fraud", "real_estate"])

    def test_fraud_outranks_society(self):
        labels = rules.labels_for("台湾2名诈骗嫌犯在泰国被捕")
        self.assertEqual(labels[0], "fraud")
        self.assertNotIn("society", labels)

    def test_society_stays_without_a_scam(self):
        self.assertIn("society", rules.labels_for("民警开12枪当场击毙劫持人质歹徒"))

    def test_diplomacy_outranks_politics(self):
        labels = rules.labels_for("习近平会见柬埔寨首相")
        self.assertIn("diplomacy", labels)
        self.assertNotIn("politics", labels)

    def test_deaths_from_violence_are_not_a_disaster(self):
        self.assertNotIn("disaster",
                         rules.labels_for("美佐治亚州发生枪击事件 3人死亡"))
        self.assertIn("disaster", rules.labels_for("日本石川县能登地区7.6级地震已致48人死亡"))


class WithTopicalTest(unittest.TestCase):

    def test_a_scam_filed_under_society_becomes_fraud(self):
        self.assertEqual(
            rules.with_topical(("society",), "团伙谎称可预测彩票号码诈骗200余万"),
            ("fraud",))

    def test_other_labels_of_the_row_stay(self):
        self.assertEqual(
            rules.with_topical(("finance",), "美国两期货交易员因诈骗13亿被捕"),
            ("finance", "fraud"))

    def test_rows_without_a_scam_are_unchanged(self):
        self.assertEqual(
            rules.with_topical(("society", "politics"), "中锋难觅莫雷引援陷死角"),
            ("politics", "society"))


if __name__ == "__main__":
    unittest.main()
