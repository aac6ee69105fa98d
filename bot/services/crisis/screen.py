"""A cheap first look that spares the crisis lexicon most of its regular expressions.

Most patterns cannot match most notes: "(?:eat|ate) (?:my|a) (?:gun|pistol)" needs "eat "
or "ate " somewhere in the note. From each compiled pattern's parse tree this module
works out such a set of strings, one of which every match must contain, and keeps four
letters of each. A pattern none of whose four-letter pieces is in the note is not run:
it could not have matched, so every verdict stays what it was. Worked out once, at
import, from the patterns themselves, so the pattern lists stay plain data; a pattern
this cannot read (or a Python whose parser is not where it was) is simply always run.
"""

from __future__ import annotations

import importlib
import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The stdlib's own parser of regular expressions (sre_parse, deprecated under that name
# since 3.11). Private, so reached by name: if it moves, nothing is screened.
try:
    _parser: Any = importlib.import_module("re._parser")
    _c: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - a Python that moved it
    _parser = _c = None

GRAM = 4
# The most strings a finite piece of a pattern is spelt out into before it counts as
# "too many ways" and is left out of the screen.
_SPELLED_OUT = 256
# A class of characters spelt out as its letters when it has at most this many.
_SMALL_CLASS = 12

_EMPTY: frozenset[str] = frozenset({""})


@dataclass(frozen=True)
class _Reading:
    """What a piece of a pattern can match: `exact`, every string it can match, where
    that is a short list; `needed`, strings one of which each match contains; `starts`
    and `ends`, strings one of which each match starts or ends with ({""}: none known)."""

    exact: frozenset[str] | None
    needed: frozenset[str] | None = None
    starts: frozenset[str] = _EMPTY
    ends: frozenset[str] = _EMPTY


_UNKNOWN = _Reading(None)
_ZERO_WIDTH = _Reading(_EMPTY)


def _worth(strings: frozenset[str] | None) -> tuple[int, int]:
    """How well a set of needed strings screens: the shortest of them (up to GRAM
    letters, as that is all the screen keeps), then the fewer the better."""
    if not strings or "" in strings:
        return (0, 0)
    return (min(GRAM, min(map(len, strings))), -len(strings))


def _best(*candidates: frozenset[str] | None) -> frozenset[str] | None:
    chosen = max(candidates, key=_worth, default=None)
    return chosen if _worth(chosen)[0] > 0 else None


def _joined(left: frozenset[str], right: frozenset[str]) -> frozenset[str] | None:
    if len(left) * len(right) > _SPELLED_OUT:
        return None
    return frozenset(a + b for a in left for b in right)


def _sequence(items: Iterable[tuple[Any, Any]]) -> _Reading:
    """Pieces one after another: a run of spelt-out pieces is spelt out whole."""
    run: frozenset[str] = _EMPTY
    complete = True  # every piece so far spelt out
    candidates: list[frozenset[str] | None] = []
    for op, arg in items:
        piece = _read(op, arg)
        if piece.exact is not None:
            joined = _joined(run, piece.exact)
            if joined is not None:
                run = joined
                continue
        complete = False
        if piece.exact is not None:  # too many ways to spell out with the run before it
            candidates.append(run)
            run = piece.exact
            continue
        candidates.append(_joined(run, piece.starts) or run)
        candidates.append(piece.needed)
        run = piece.ends
    if complete:
        return _Reading(run, _best(run), run, run)
    candidates.append(run)
    return _Reading(None, _best(*candidates))


def _branches(branches: list[Any]) -> _Reading:
    readings = [_sequence(branch) for branch in branches]
    exact: frozenset[str] | None = frozenset()
    for reading in readings:
        if exact is None or reading.exact is None or len(exact) + len(reading.exact) > _SPELLED_OUT:
            exact = None
            break
        exact |= reading.exact
    if exact is not None:
        return _Reading(exact, _best(exact), exact, exact)
    needed: set[str] = set()
    for reading in readings:
        own = _best(reading.needed, reading.exact)
        if own is None:
            return _UNKNOWN
        needed |= own
    return _Reading(None, frozenset(needed))


def _characters(items: list[tuple[Any, Any]]) -> _Reading:
    letters: set[str] = set()
    for op, arg in items:
        if op is _c.LITERAL:
            letters.add(chr(arg))
        elif op is _c.RANGE and arg[1] - arg[0] < _SMALL_CLASS:
            letters.update(chr(code) for code in range(arg[0], arg[1] + 1))
        else:  # a negated class, a category (\s, \w), a wide range
            return _UNKNOWN
    if len(letters) > _SMALL_CLASS:
        return _UNKNOWN
    return _Reading(frozenset(letters), None, frozenset(letters), frozenset(letters))


def _repeated(low: int, high: int, body: Any) -> _Reading:
    inner = _sequence(body)
    if high == 0:
        return _ZERO_WIDTH
    if low == 0:
        if high == 1 and inner.exact is not None:
            return _Reading(inner.exact | _EMPTY)
        return _UNKNOWN
    if low == high == 1:
        return inner
    # At least one copy: each match starts and ends with one, and holds what one needs.
    if inner.exact is not None:
        return _Reading(None, _best(inner.exact), inner.exact, inner.exact)
    return _Reading(None, inner.needed, inner.starts, inner.ends)


def _read(op: Any, arg: Any) -> _Reading:
    if op is _c.LITERAL:
        return _Reading(frozenset({chr(arg)}))
    if op is _c.IN:
        return _characters(arg)
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return _ZERO_WIDTH  # matches no characters of its own
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, body = arg
        return _UNKNOWN if add_flags or del_flags else _sequence(body)
    if op is _c.ATOMIC_GROUP:
        return _sequence(arg)
    if op is _c.BRANCH:
        return _branches(arg[1])
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, high, body = arg
        return _repeated(low, high, body)
    return _UNKNOWN  # any character, a back-reference, a conditional ...


def _piece(string: str) -> str:
    """The one GRAM-letter piece of `string` kept for the screen: one without spaces
    where there is one, as spaces are in every note."""
    if len(string) <= GRAM:
        return string
    pieces = [string[at : at + GRAM] for at in range(len(string) - GRAM + 1)]
    return min(pieces, key=lambda piece: piece.count(" "))


def keys(regex: re.Pattern[str]) -> frozenset[str] | None:
    """Pieces of GRAM letters (or fewer, for shorter strings), one of which is in every
    text the regex can match anywhere in; None where none could be worked out."""
    if _parser is None or regex.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    try:
        needed = _sequence(_parser.parse(regex.pattern, regex.flags)).needed
    except Exception:  # a pattern this cannot read is always run
        return None
    if needed is None:
        return None
    return frozenset(_piece(string) for string in needed)


class Screen:
    """Which regexes of some fixed lists may match a text; the others cannot. The lists
    are named, so that one pass over the text serves them all."""

    def __init__(self, **lists: Iterable[re.Pattern[str]]) -> None:
        listed = {name: tuple(regexes) for name, regexes in lists.items()}
        by_key: dict[str, set[int]] = {}
        unscreened: list[int] = []
        # Each list's regexes get the positions from its start to the next list's.
        self._starts: dict[str, int] = {}
        at = 0
        for name, regexes in listed.items():
            self._starts[name] = at
            for regex in regexes:
                found = keys(regex)
                if found is None:
                    unscreened.append(at)
                for key in found or ():
                    by_key.setdefault(key, set()).add(at)
                at += 1
        self.sizes = {name: len(regexes) for name, regexes in listed.items()}
        self.unscreened: frozenset[int] = frozenset(unscreened)
        self._by_key = {key: frozenset(ats) for key, ats in by_key.items()}
        self._lengths = tuple(sorted({len(key) for key in by_key}))

    def passing(self, text: str) -> dict[str, list[int]]:
        """For each list, the positions in it, in order, of the regexes that may match
        `text`."""
        found = set(self.unscreened)
        by_key = self._by_key
        for length in self._lengths:
            for at in range(len(text) - length + 1):
                hit = by_key.get(text[at : at + length])
                if hit is not None:
                    found |= hit
        ordered = sorted(found)
        passing: dict[str, list[int]] = {}
        for name, start in self._starts.items():
            stop = start + self.sizes[name]
            passing[name] = [
                at - start
                for at in ordered[bisect_left(ordered, start) : bisect_left(ordered, stop)]
            ]
        return passing
