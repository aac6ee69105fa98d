"""The in-memory search index's ranking contract, which the resource directory relies on:
an entry's score is the sum over query words of its best weighted match, and entries that
score the same keep the directory's order (the most urgent entries are listed first)."""

from __future__ import annotations

from bot.services.resources.search import Searchable, SearchIndex


def _index(*names: str, details: str = "") -> SearchIndex:
    items = [
        Searchable(key=f"entry-{n}", fields=((name, 2.0), (details, 1.0)))
        for n, name in enumerate(names)
    ]
    return SearchIndex(items, {})


def test_entries_that_score_the_same_keep_the_directory_order() -> None:
    names = [f"Shelter {place}" for place in ("North", "South", "East", "West", "Harbor", "Mesa")]
    index = _index(*names, details="Veterans welcome")
    assert [hit.key for hit in index.search("shelter", limit=4)] == [
        "entry-0", "entry-1", "entry-2", "entry-3"
    ]  # fmt: skip
    # Equal scores beyond the cut too: the first ones in order, not any four of them.
    assert [hit.key for hit in index.search("veterans", limit=2)] == ["entry-0", "entry-1"]


def test_a_better_match_outranks_the_directory_order() -> None:
    index = _index("Legal Aid", "Housing Legal Clinic", "Housing Help", details="open weekdays")
    hits = index.search("legal housing", limit=2)
    # Entry 1 matches both words; entries 0 and 2 one each, so the order decides between them.
    assert [hit.key for hit in hits] == ["entry-1", "entry-0"]
    assert hits[0].score > hits[1].score


def test_each_entry_counts_its_best_token_once_per_query_word() -> None:
    # "hous" reaches both "housing" and "house" by prefix: entry 0 has both, but one query
    # word counts once, so it scores the same as entry 1 and the directory order decides.
    index = _index("Housing House", "Housing Office")
    hits = index.search("hous", limit=2)
    assert [hit.key for hit in hits] == ["entry-0", "entry-1"]
    assert hits[0].score == hits[1].score
