"""Each measure's published scoring, without a database: all-zero, all-maximum, a mixed
example with its band, and the published band edges (docs/measures.md lists the sources)."""

from __future__ import annotations

import re

import pytest

from bot.services.measures import INSTRUMENTS, PAGE_SIZE, instrument, score
from tests.test_no_advice import ROOT, _strings

# (measure, items, range of each answer, total range, published bands)
PUBLISHED = {
    "phq8": (8, 3, 24, [(0, 4, "none to minimal"), (5, 9, "mild"), (10, 14, "moderate"),
                        (15, 19, "moderately severe"), (20, 24, "severe")]),
    "gad7": (7, 3, 21, [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"),
                        (15, 21, "severe")]),
    "pcl5": (20, 4, 80, []),
    "auditc": (3, 4, 12, []),
}  # fmt: skip


def test_exactly_the_four_measures_and_never_phq9_or_the_cssrs() -> None:
    assert set(INSTRUMENTS) == {"phq8", "gad7", "pcl5", "auditc"}
    phq8 = instrument("phq8")
    # PHQ-9's item 9 (thoughts of being better off dead or of self-harm) is not asked.
    assert not any("dead" in item.text or "hurting yourself" in item.text for item in phq8.items)


@pytest.mark.parametrize("code", PUBLISHED)
def test_items_answers_and_range_are_the_published_ones(code: str) -> None:
    measure = instrument(code)
    items, top, total, bands = PUBLISHED[code]
    assert len(measure.items) == items
    for item in measure.items:
        assert [option.value for option in item.options] == list(range(top + 1))
    assert measure.max_total == total
    assert [(b.low, b.high, b.label) for b in measure.bands] == bands


@pytest.mark.parametrize("code", PUBLISHED)
def test_all_zero_and_all_max(code: str) -> None:
    measure = instrument(code)
    items, top, total, bands = PUBLISHED[code]
    zero = score(measure, [0] * items)
    assert (zero.total, zero.max_total) == (0, total)
    full = score(measure, [top] * items)
    assert full.total == total
    if bands:
        assert zero.band == bands[0][2]
        assert full.band == bands[-1][2]
    else:
        assert zero.band is full.band is None  # no published bands: none made up


@pytest.mark.parametrize(
    ("code", "answers", "total", "band"),
    [
        # PHQ-8: several days on five items: 5, the lower edge of "mild".
        ("phq8", [1, 1, 1, 1, 1, 0, 0, 0], 5, "mild"),
        ("phq8", [2, 2, 2, 2, 2, 0, 0, 0], 10, "moderate"),
        ("phq8", [3, 2, 2, 2, 2, 2, 1, 0], 14, "moderate"),
        ("phq8", [3, 3, 3, 2, 2, 2, 2, 2], 19, "moderately severe"),
        ("phq8", [3, 3, 3, 3, 3, 3, 2, 0], 20, "severe"),
        ("phq8", [1, 1, 1, 1, 0, 0, 0, 0], 4, "none to minimal"),
        # GAD-7: 5, 10 and 15 are the published cut points.
        ("gad7", [1, 1, 1, 1, 1, 0, 0], 5, "mild"),
        ("gad7", [2, 2, 2, 1, 1, 1, 0], 9, "mild"),
        ("gad7", [2, 2, 2, 2, 2, 0, 0], 10, "moderate"),
        ("gad7", [3, 3, 3, 2, 2, 2, 0], 15, "severe"),
        # PCL-5: the sum of twenty 0-4 answers; 33 is within the commonly cited 31-33 range.
        ("pcl5", [2] * 10 + [1] * 10, 30, None),
        ("pcl5", [2] * 13 + [1] * 7, 33, None),
        # AUDIT-C: monthly or less (1), 3 or 4 drinks (1), less than monthly six or more (1).
        ("auditc", [1, 1, 1], 3, None),
        ("auditc", [2, 1, 1], 4, None),
    ],
)
def test_mixed_examples_score_to_their_published_band(
    code: str, answers: list[int], total: int, band: str | None
) -> None:
    result = score(instrument(code), answers)
    assert (result.total, result.band) == (total, band)


def test_cut_notes_give_the_published_cut_points() -> None:
    assert "31-33" in instrument("pcl5").cut_note
    assert "4 or more for men, 3 or more for women" in instrument("auditc").cut_note


@pytest.mark.parametrize("code", PUBLISHED)
def test_pages_hold_five_items_at_most_and_cover_every_item_once(code: str) -> None:
    measure = instrument(code)
    pages = measure.pages
    assert all(1 <= len(page) <= PAGE_SIZE for page in pages)
    assert [i for page in pages for i in page] == list(range(len(measure.items)))
    if code == "pcl5":
        assert [len(page) for page in pages] == [5, 5, 5, 5]


def test_answers_outside_an_item_or_missing_are_refused() -> None:
    with pytest.raises(ValueError, match="not an answer"):
        score(instrument("phq8"), [4] + [0] * 7)  # PHQ answers are 0 to 3
    with pytest.raises(ValueError, match="items"):
        score(instrument("gad7"), [0] * 6)


DIAGNOSING = re.compile(
    r"\byou (have|may have|likely have|probably have|are|might be|could be) "
    r"(depress|anxi|ptsd|an? alcohol|alcoholic|a disorder|diagnos)"
    r"|\bdiagnos(is|ed) (of|with)\b|\bscreen(s|ed)? positive\b|\bprobable (ptsd|depression)",
    re.IGNORECASE,
)


def test_no_measure_text_reads_as_a_diagnosis() -> None:
    """Every string the measures can show (their data, cog and words) is a number and a
    published reading, never a diagnosis; a positive control shows the check bites."""
    controls = ("You have depression.", "This suggests a diagnosis of PTSD.",
                "You screened positive for alcohol use disorder.", "Probable PTSD")  # fmt: skip
    for control in controls:
        assert DIAGNOSING.search(control), control
    paths = [*ROOT.glob("bot/services/measures/*.py"), *ROOT.glob("cogs/measures/*.py")]
    assert len(paths) >= 6
    for path in paths:
        for text in _strings(path):
            assert not DIAGNOSING.search(text), f"{path.name}: {text!r}"


@pytest.mark.parametrize(("answer", "shown"), [(0, False), (2, False), (3, True), (4, True)])
def test_pcl5_item_16_quite_a_bit_or_more_calls_for_the_crisis_lines(
    answer: int, shown: bool
) -> None:
    measure = instrument("pcl5")
    assert measure.items[15].text.startswith("Taking too many risks")
    answers = [0] * 20
    answers[15] = answer
    assert measure.needs_crisis_lines(answers) is shown
    assert not measure.needs_crisis_lines([4] * 15 + [2] + [4] * 4)  # only item 16 counts
    assert not any(instrument(code).needs_crisis_lines([4] * 20) for code in ("phq8", "gad7"))
