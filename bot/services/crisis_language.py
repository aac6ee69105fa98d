"""Does a check-in note suggest the member may be in crisis? (R18)

A short, deterministic phrase list that anyone can review, not a model: a missed phrase
is a bug to fix here, with a test. Erring toward showing the crisis lines is the safe
side: a false alarm costs the member one kind message. A phrase is set aside when a
negation comes just before it ("I'm not suicidal", "I would never hurt myself") or when it
is part of a known harmless phrase ("suicide prevention training").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CRISIS_PHRASES: tuple[str, ...] = (
    "suicide",
    "suicidal",
    "kill myself",
    "killing myself",
    "kms",
    "end my life",
    "ending my life",
    "end it all",
    "take my own life",
    "taking my own life",
    "want to die",
    "wanna die",
    "wish i was dead",
    "wish i were dead",
    "better off dead",
    "better off without me",
    "no reason to live",
    "nothing to live for",
    "dont want to live",
    "dont want to be here",
    "dont want to wake up",
    "not want to live",
    "cant go on",
    "cannot go on",
    "no way out",
    "hurt myself",
    "hurting myself",
    "harm myself",
    "self harm",
    "cut myself",
    "cutting myself",
    "shoot myself",
    "hang myself",
    "overdose on purpose",
    "want to overdose",
    "going to overdose",
    "gun to my head",
    "say goodbye to everyone",
    "saying goodbye to everyone",
    "goodbye forever",
)

# Words that, within a few words before a phrase, turn it around ("not", "never" ...).
NEGATIONS: frozenset[str] = frozenset(
    {
        "not",
        "never",
        "no",
        "dont",
        "didnt",
        "wont",
        "wouldnt",
        "isnt",
        "arent",
        "without",
        "nor",
        "cant",
        "couldnt",
        "stopped",
        "longer",
    }
)
NEGATION_WINDOW = 3

# Harmless phrases that contain a crisis phrase; matched before the crisis list.
FALSE_FRIENDS: tuple[str, ...] = (
    "suicide prevention",
    "suicide awareness",
    "suicide squad",
    "suicide hotline",
    "suicide lifeline",
)

_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Assessment:
    crisis: bool
    phrases: tuple[str, ...]


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).casefold()
    # Straight and curly apostrophes vanish, so "don't" and "dont" read the same.
    folded = folded.replace("'", "").replace("\u2019", "").replace("\u02bc", "")
    return _WORDS.findall(folded)


def _positions(words: list[str], phrase: list[str]) -> list[int]:
    size = len(phrase)
    return [i for i in range(len(words) - size + 1) if words[i : i + size] == phrase]


def assess(note: str | None) -> Assessment:
    """Which crisis phrases the note contains, negated and harmless uses set aside."""
    if not note:
        return Assessment(False, ())
    words = _words(note)
    harmless: set[int] = set()
    for friend in FALSE_FRIENDS:
        tokens = friend.split()
        for start in _positions(words, tokens):
            harmless.update(range(start, start + len(tokens)))
    found: list[str] = []
    for phrase in CRISIS_PHRASES:
        tokens = phrase.split()
        for start in _positions(words, tokens):
            if start in harmless:
                continue
            before = words[max(0, start - NEGATION_WINDOW) : start]
            if any(word in NEGATIONS for word in before):
                continue
            found.append(phrase)
            break
    return Assessment(bool(found), tuple(found))
