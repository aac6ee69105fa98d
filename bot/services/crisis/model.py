"""The learned second stage of crisis detection: a linear model over word and character
n-grams, scored in plain Python.

The lexicon (language.py) only catches wordings someone wrote a pattern for; this
stage weighs every word, word pair and letter run of a note, so it also catches new
wordings of the same kinds of note. It is trained offline by bench/train_crisis_model.py
(scikit-learn, a dev-only extra) and ships as a JSON file of feature weights
(bot/data/crisis_model.json): anyone can read which features push a note toward the
crisis lines, and nothing here imports numpy or scikit-learn.

Features, of the note as the lexicon normalises it (lower case, typos mended, "|" between
clauses): each word ("w:"), each pair of neighbouring words in a clause ("b:"), and each
run of four to six characters inside a clause, spaces included ("c:"). A note's score
is the logistic of the bias plus its known features' weights, divided by the square root
of how many distinct features it has (known or not), as in training.

The model is asked only about a note of at least MIN_WORDS words (speaks_on): on two words
the square-root scaling lets one word carry the note ("second note" scored 0.77, "note"
being a word of farewell letters), and no crisis note of two words or fewer in the
training notes needed the model (the lexicon caught every one).
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parents[2] / "data" / "crisis_model.json"
CHAR_SIZES = (4, 5, 6)
MIN_WORDS = 3


def speaks_on(normalised: str) -> bool:
    """Is the note long enough for the model to weigh (text normalised by crisis_language)?"""
    return len(normalised.replace("|", " ").split()) >= MIN_WORDS


def features(normalised: str) -> set[str]:
    """The note's distinct features, from text already normalised by crisis_language."""
    found: set[str] = set()
    for clause in normalised.split("|"):
        words = clause.split()
        if not words:
            continue
        found.update("w:" + word for word in words)
        found.update(f"b:{first} {second}" for first, second in itertools.pairwise(words))
        padded = f" {' '.join(words)} "
        for size in CHAR_SIZES:
            found.update("c:" + padded[at : at + size] for at in range(len(padded) - size + 1))
    return found


@dataclass(frozen=True)
class Model:
    bias: float
    weights: dict[str, float]
    # Scores at or above this count as crisis (chosen by cross-validation on training
    # folds, bench/train_crisis_model.py).
    threshold: float
    # A note the lexicon set aside as negated or harmless counts only at or above this.
    veto_threshold: float

    def score(self, normalised: str) -> float:
        found = features(normalised)
        if not found:
            return 0.0
        weights = self.weights
        total = sum(weights.get(feature, 0.0) for feature in found)
        margin = self.bias + total / math.sqrt(len(found))
        # Clamped so that exp cannot overflow on an absurd note.
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, margin))))


def parse(document: dict[str, Any]) -> Model:
    """A model from the JSON document the training script writes."""
    weights = document["weights"]
    if not isinstance(weights, dict):
        raise ValueError("crisis model: weights must be an object")
    return Model(
        bias=float(document["bias"]),
        weights={str(key): float(value) for key, value in weights.items()},
        threshold=float(document["threshold"]),
        veto_threshold=float(document["veto_threshold"]),
    )


@lru_cache(maxsize=1)
def load(path: Path = MODEL_PATH) -> Model | None:
    """The shipped model, read once on first use (start-up does not pay for it). None,
    logged, when the file is missing or unreadable: the lexicon then works alone."""
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        log.exception("crisis model %s could not be loaded; the lexicon works alone", path)
        return None
