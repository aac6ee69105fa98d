"""A small typo-tolerant ranked search index, built in memory from a list of entries.

Each word of the query is matched against the index's vocabulary exactly, by prefix (for
autocomplete while typing) and fuzzily (for misspellings such as "homless"); an entry's
score is the sum over query words of its best weighted match. Synonyms let a query word
reach entries that never use it ("suicide" reaches the crisis lines).
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    ("a", "about", "am", "an", "and", "are", "at", "be", "by", "can", "do", "feel", "feeling",
     "find", "for", "from", "get", "going", "help", "how", "i", "im", "in", "is", "it", "just",
     "like", "me", "my", "myself", "need", "of", "on", "or", "our", "please", "really", "so",
     "someone", "the", "think", "to", "want", "what", "where", "who", "with", "you")
)  # fmt: skip
PREFIX_SIMILARITY = 0.9
FUZZY_FLOOR = 82  # rapidfuzz ratio, 0-100: "homless" finds homeless, not hopeless
SYNONYM_WEIGHT = 0.9
# As much as a name: a synonym states intent ("hopeless" means crisis), a fuzzy match guesses.
TAG_WEIGHT = 3.0


def tokenize(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS]


@dataclass(frozen=True)
class Searchable:
    key: str
    # Text to index with its weight (a name counts more than a description).
    fields: tuple[tuple[str, float], ...]
    # Labels such as a category, reached only through synonyms ("#housing"), never by typing.
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    key: str
    score: float  # 0..1: the average over the query words the index knows


class SearchIndex:
    def __init__(self, items: Sequence[Searchable], synonyms: Mapping[str, Sequence[str]]) -> None:
        self._keys = [item.key for item in items]
        postings: dict[str, dict[int, float]] = {}
        tagged: dict[str, dict[int, float]] = {}
        top_weight = TAG_WEIGHT
        for position, item in enumerate(items):
            for tag in item.tags:
                tagged.setdefault(f"#{tag}", {})[position] = TAG_WEIGHT
            for text, weight in item.fields:
                top_weight = max(top_weight, weight)
                for token in tokenize(text):
                    entry = postings.setdefault(token, {})
                    entry[position] = max(entry.get(position, 0.0), weight)
        for word, targets in synonyms.items():
            merged = dict(postings.get(word, {}))
            for target in targets:
                source = tagged if target.startswith("#") else postings
                for position, weight in source.get(target, {}).items():
                    merged[position] = max(merged.get(position, 0.0), weight * SYNONYM_WEIGHT)
            if merged:
                postings[word] = merged
        self._postings = postings
        self._vocabulary = sorted(postings)
        self._top_weight = top_weight

    def __len__(self) -> int:
        return len(self._keys)

    def search(self, query: str, *, limit: int = 10) -> list[Hit]:
        words = tokenize(query)
        if not words:
            return []
        totals: dict[int, float] = {}
        understood = 0
        for word in words:
            matches = self._matches(word)
            if not matches:
                continue
            understood += 1
            best = self._best_by_entry(matches)
            if not totals:
                totals = best
                continue
            for position, score in best.items():
                totals[position] = totals.get(position, 0.0) + score
        # Ties keep the directory's own order, which lists the most urgent entries first:
        # candidates in that order, then a stable sort by score (C-level, no per-item key).
        if len(totals) > limit:
            cutoff = heapq.nlargest(limit, totals.values())[-1]
            candidates = sorted(position for position, total in totals.items() if total >= cutoff)
        else:
            candidates = sorted(totals)
        ranked = sorted(candidates, key=totals.__getitem__, reverse=True)[:limit]
        # Words the index has never seen ("date" in "court date") neither help nor hurt.
        divisor = max(understood, 1)
        return [Hit(self._keys[position], totals[position] / divisor) for position in ranked]

    def _best_by_entry(self, matches: list[tuple[str, float]]) -> dict[int, float]:
        """Each entry's best weighted match among the tokens one query word matched."""
        top = self._top_weight
        (first, similarity), *others = matches
        best = {
            position: similarity * weight / top
            for position, weight in self._postings[first].items()
        }
        for token, similarity in others:
            for position, weight in self._postings[token].items():
                score = similarity * weight / top
                if score > best.get(position, 0.0):
                    best[position] = score
        return best

    def suggest(self, query: str) -> str | None:
        """The query with each unknown word replaced by the closest known one, if any."""
        words = tokenize(query)
        changed = False
        suggestion = []
        for word in words:
            if word in self._postings:
                suggestion.append(word)
                continue
            found = process.extractOne(word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=60)
            if found is None:
                suggestion.append(word)
            else:
                suggestion.append(found[0])
                changed = True
        return " ".join(suggestion) if changed else None

    def _matches(self, word: str) -> list[tuple[str, float]]:
        found: dict[str, float] = {}
        if word in self._postings:
            found[word] = 1.0
        start = bisect.bisect_left(self._vocabulary, word)
        for token in self._vocabulary[start : start + 50]:
            if not token.startswith(word):
                break
            found.setdefault(token, PREFIX_SIMILARITY)
        if len(word) >= 4:
            for token, score, _ in process.extract(
                word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_FLOOR, limit=8
            ):
                found.setdefault(token, 0.85 * score / 100)
        return list(found.items())
