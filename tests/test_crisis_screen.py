"""The screen in front of the crisis lexicon (bot/services/crisis/screen.py) only skips
regular expressions that cannot match the note: with or without it, every note of the
corpus gets the same assessment."""

import json
import random
import re
from pathlib import Path

import pytest

from bot.services.crisis import assess, screen
from bot.services.crisis import language as crisis_language

DATA = Path(__file__).resolve().parents[1] / "bench" / "data"


def corpus_notes() -> list[str]:
    paths = sorted(DATA.glob("*.jsonl")) + sorted((DATA / "independent").glob("*.jsonl"))
    return [
        json.loads(line)["text"]
        for path in paths
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_every_corpus_note_is_assessed_the_same_with_and_without_the_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notes = corpus_notes()
    assert len(notes) > 5000
    screened = [assess(note) for note in notes]
    # Without the screen every regex runs on every note, as before it existed.
    monkeypatch.setattr(
        screen.Screen,
        "passing",
        lambda self, text: {name: list(range(size)) for name, size in self.sizes.items()},
    )
    unscreened = [assess(note) for note in notes]
    # Positions only: the notes themselves are not printed.
    differing = [
        at for at, (one, other) in enumerate(zip(screened, unscreened, strict=True)) if one != other
    ]
    assert not differing, f"{len(differing)} notes assessed differently, at {differing[:20]}"
    assert sum(assessment.crisis for assessment in screened) > 1000  # the notes were read


def test_nearly_every_lexicon_regex_is_screened() -> None:
    # A regex the screen cannot read is always run: still right, but slow again.
    built = crisis_language._SCREEN
    assert set(built.sizes) == {"patterns", "harmless", "terms"}
    assert min(built.sizes.values()) > 0
    assert len(built.unscreened) <= sum(built.sizes.values()) // 20


def test_a_note_without_a_patterns_words_skips_it_and_one_with_them_does_not() -> None:
    built = screen.Screen(
        first=[re.compile(r"(?<![^ ])(?:kill+|end) (?:my ?self|me)(?![^ ])")],
        second=[re.compile(r"lake"), re.compile(r"(?:sea|ocean)s?")],
    )
    assert built.passing("i want to killl myself") == {"first": [0], "second": []}
    assert built.passing("i could end me by the ocean") == {"first": [0], "second": [1]}
    assert built.passing("a calm day at the lake | fished till noon") == {
        "first": [],
        "second": [0],
    }


# Pieces of random regexes, over a small alphabet so that random texts often match.
_ATOMS = ("a", "b", "ab", "ba", "c", " ", "[ab]", "[^a]", ".", "$", "(?<![^ ])", "(?![^ ])")


def _random_regex(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if depth < 2 and kind < 0.25:
            branches = [_random_regex(rng, depth + 1) for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.2:
                branches.append("")
            parts.append(f"(?:{'|'.join(branches)})")
        elif depth < 2 and kind < 0.35:
            parts.append(f"(?={_random_regex(rng, depth + 1)})")
        elif depth < 2 and kind < 0.4:
            parts.append(f"(?!{_random_regex(rng, depth + 1)})")
        else:
            parts.append(rng.choice(_ATOMS))
        if rng.random() < 0.3 and parts[-1] not in ("$", "(?<![^ ])", "(?![^ ])"):
            parts[-1] = f"(?:{parts[-1]}){rng.choice(('?', '+', '*', '{2}', '{1,3}', '{0,2}'))}"
    return "".join(parts)


def test_random_regexes_are_never_skipped_where_they_match() -> None:
    rng = random.Random(17)
    skipped = 0
    for _ in range(3000):
        regex = re.compile(_random_regex(rng))
        built = screen.Screen(only=[regex])
        for _ in range(10):
            text = "".join(rng.choice("abc |") for _ in range(rng.randint(0, 12)))
            passing = built.passing(text)["only"]
            if regex.search(text):
                assert passing == [0], (regex.pattern, text)
            elif not passing:
                skipped += 1
    assert skipped > 1000  # the screen does skip regexes that cannot match
