"""Tests of the English weak-labelling rules (rules_en.py) on real AG News
World headlines of the training data. Run:
/usr/bin/python3 models/weak/rules_en_test.py"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rules_en  # noqa: E402


class WorldLabelsTest(unittest.TestCase):

    def test_a_hurricane_is_a_disaster_and_weather(self):
        self.assertEqual(
            rules_en.world_labels("Hurricane Ivan Blasts Alabama, Kills 12"),
            ["disaster", "weather"])

    def test_deaths_from_bombs_are_war_not_a_disaster(self):
        labels = rules_en.world_labels(
            "Two U.S. Soldiers Killed in Iraq Bombings (AP)")
        self.assertEqual(labels, ["military"])
        self.assertEqual(rules_en.world_labels(
            "Greek School Bus Crash Kills Seven, Injures 24"), ["disaster"])

    def test_talks_are_diplomacy_and_outrank_politics(self):
        labels = rules_en.world_labels(
            "Putin Signs Up Russia for Kyoto Pact")
        self.assertEqual(labels[0], "diplomacy")
        self.assertNotIn("politics", labels)

    def test_a_figure_of_speech_is_not_the_topic(self):
        # "draws fire" is no fire, "trade barbs" no trade.
        self.assertEqual(rules_en.world_labels("EU draft draws fire in Turkey"),
                         ["diplomacy"])
        self.assertNotIn("finance", rules_en.world_labels(
            "Bush, Kerry Trade Barbs Following Debate"))

    def test_the_sentence_names_the_war_a_headline_leaves_out(self):
        title = "Unrest Spreads To Southern Iraq"
        self.assertEqual(rules_en.world_labels(title), ["politics"])
        self.assertEqual(rules_en.world_labels(
            title, "(CBS/AP) As US forces continued to bombard the restive "
            "city of Fallujah and clashed with militants in the streets of "
            "Baghdad, there was unrest in the normally quiet British-patrolled "
            "city of Basra."), ["military"])

    def test_abbreviations_only_in_capitals(self):
        self.assertIn("diplomacy", rules_en.world_labels(
            "UN chief promises more staff to Iraq when possible"))
        self.assertNotIn("health", rules_en.world_labels(
            "Column: Who will stop genocide in Sudan?"))

    def test_stories_no_rule_matches_are_politics(self):
        self.assertEqual(rules_en.world_labels("Jordan prince loses succession"),
                         ["politics"])
        self.assertEqual(rules_en.labels_for("Jordan prince loses succession"),
                         [])


if __name__ == "__main__":
    unittest.main()
