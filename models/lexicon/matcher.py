"""Runs the lexicon plugin's own matcher (`classifyd-lexicon classify`) over
texts, for the model tools: the same code and normalisation as serving."""

import json
import subprocess
import sys


def scores(binary, rules, texts):
    """[{label: score}] for `texts` (one text per line; newlines become
    spaces), in order."""
    lines = [text.replace("\n", " ") for text in texts]
    out = subprocess.run([binary, "classify", str(rules)],
                         input="\n".join(lines) + "\n", capture_output=True,
                         text=True, check=True).stdout.splitlines()
    if len(out) != len(lines):
        sys.exit(f"lexicon: {len(lines)} texts but {len(out)} answers")
    return [{l["label"]: l["score"] for l in json.loads(line)["labels"]}
            for line in out]
