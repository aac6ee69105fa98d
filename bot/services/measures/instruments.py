"""The validated measures, as pure data, and their published scoring. No database, no Discord.

Every item and answer below is the instrument's published wording; every range and cut point
is the published one (docs/measures.md lists the sources and the terms of use). A score is a
number with the instrument's published bands, never a diagnosis.

Left out on purpose: PHQ-9 (its item 9 asks about thoughts of self-harm, which a bot cannot
answer well: PHQ-8 drops it and is scored on its own published bands), and the C-SSRS (its
electronic use is licensed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Cadence = Literal["two_weeks", "month"]
PAGE_SIZE = 5  # a Discord form holds at most 5 components


@dataclass(frozen=True)
class Option:
    label: str
    value: int


@dataclass(frozen=True)
class Item:
    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    about: str  # what it is about, in a word or two
    stem: str  # the published instruction the items follow
    items: tuple[Item, ...]
    cadence: Cadence
    bands: tuple[Band, ...]  # the published severity bands; empty where none are published
    cut_note: str  # the published cut point, in words, or how to read the bands
    source: str
    # Published cut points drawn on the chart as lines: (score, what it is).
    reference: tuple[tuple[int, str], ...] = ()
    # Items about harming oneself (indexes), and the answer value from which the crisis
    # lines are shown with the score. Not a score reading, and never a diagnosis.
    safety_items: tuple[int, ...] = ()
    safety_from: int = 0

    def needs_crisis_lines(self, answers: Sequence[int]) -> bool:
        return any(i < len(answers) and answers[i] >= self.safety_from for i in self.safety_items)

    @property
    def max_total(self) -> int:
        return sum(max(option.value for option in item.options) for item in self.items)

    @property
    def pages(self) -> tuple[tuple[int, ...], ...]:
        """Item indexes per page, PAGE_SIZE at most on each."""
        indexes = tuple(range(len(self.items)))
        return tuple(indexes[i : i + PAGE_SIZE] for i in range(0, len(indexes), PAGE_SIZE))


@dataclass(frozen=True)
class Score:
    code: str
    total: int
    max_total: int
    band: str | None  # the published band the total falls in, if the instrument has bands


def _options(*labels: str) -> tuple[Option, ...]:
    return tuple(Option(label, value) for value, label in enumerate(labels))


_PHQ_OPTIONS = _options("Not at all", "Several days", "More than half the days", "Nearly every day")
_PHQ_STEM = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)

# Kroenke, Strine, Spitzer et al. 2009: PHQ-8 is PHQ-9 without item 9, scored 0-24 with the
# PHQ-9's bands.
PHQ8 = Instrument(
    code="phq8",
    name="PHQ-8",
    about="depression",
    stem=_PHQ_STEM,
    items=tuple(
        Item(text, _PHQ_OPTIONS)
        for text in (
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself — or that you are a failure or have let yourself or "
            "your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite — being so fidgety or restless that you have been moving around a lot "
            "more than usual",
        )
    ),
    cadence="two_weeks",
    bands=(
        Band(0, 4, "none to minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"),
        Band(20, 24, "severe"),
    ),
    cut_note="Published bands: 0-4 none to minimal, 5-9 mild, 10-14 moderate, "
    "15-19 moderately severe, 20-24 severe.",
    source="Kroenke K, Strine TW, Spitzer RL, et al. J Affect Disord 2009;114:163-173",
)

# Spitzer, Kroenke, Williams, Löwe 2006: 0-21; 5, 10 and 15 are the cut points for mild,
# moderate and severe.
GAD7 = Instrument(
    code="gad7",
    name="GAD-7",
    about="anxiety",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=tuple(
        Item(text, _PHQ_OPTIONS)
        for text in (
            "Feeling nervous, anxious, or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid, as if something awful might happen",
        )
    ),
    cadence="two_weeks",
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 21, "severe"),
    ),
    cut_note="Published bands: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.",
    source="Spitzer RL, Kroenke K, Williams JBW, Löwe B. Arch Intern Med 2006;166:1092-1097",
)

# Weathers, Litz, Keane et al. 2013 (National Center for PTSD): 20 items 0-4, total 0-80. No
# empirically derived severity ranges are published; 31-33 is the commonly cited cut point.
PCL5 = Instrument(
    code="pcl5",
    name="PCL-5",
    about="PTSD",
    stem="In the past month, how much were you bothered by:",
    items=tuple(
        Item(text, _options("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"))
        for text in (
            "Repeated, disturbing, and unwanted memories of the stressful experience?",
            "Repeated, disturbing dreams of the stressful experience?",
            "Suddenly feeling or acting as if the stressful experience were actually happening "
            "again (as if you were actually back there reliving it)?",
            "Feeling very upset when something reminded you of the stressful experience?",
            "Having strong physical reactions when something reminded you of the stressful "
            "experience (for example, heart pounding, trouble breathing, sweating)?",
            "Avoiding memories, thoughts, or feelings related to the stressful experience?",
            "Avoiding external reminders of the stressful experience (for example, people, "
            "places, conversations, activities, objects, or situations)?",
            "Trouble remembering important parts of the stressful experience?",
            "Having strong negative beliefs about yourself, other people, or the world (for "
            "example, having thoughts such as: I am bad, there is something seriously wrong "
            "with me, no one can be trusted, the world is completely dangerous)?",
            "Blaming yourself or someone else for the stressful experience or what happened "
            "after it?",
            "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
            "Loss of interest in activities that you used to enjoy?",
            "Feeling distant or cut off from other people?",
            "Trouble experiencing positive feelings (for example, being unable to feel "
            "happiness or have loving feelings for people close to you)?",
            "Irritable behavior, angry outbursts, or acting aggressively?",
            "Taking too many risks or doing things that could cause you harm?",
            "Being “superalert” or watchful or on guard?",
            "Feeling jumpy or easily startled?",
            "Having difficulty concentrating?",
            "Trouble falling or staying asleep?",
        )
    ),
    cadence="month",
    bands=(),
    cut_note="No severity bands are published for the PCL-5; a total of 31-33 is a commonly "
    "cited cut point.",
    source="Weathers FW, Litz BT, Keane TM, et al. The PTSD Checklist for DSM-5 (PCL-5). "
    "National Center for PTSD, 2013",
    reference=((31, "31-33: a commonly cited cut point"),),
    safety_items=(15,),  # 16. "Taking too many risks or doing things that could cause you harm?"
    safety_from=3,  # "Quite a bit" or "Extremely"
)

# The first three AUDIT questions (WHO; Babor et al. 2001), scored as AUDIT-C (Bush et al.
# 1998; Bradley et al. 2003): 0-12, positive at 4 or more for men, 3 or more for women.
AUDITC = Instrument(
    code="auditc",
    name="AUDIT-C",
    about="alcohol",
    stem="",  # the AUDIT's questions stand on their own
    items=(
        Item(
            "How often do you have a drink containing alcohol?",
            _options(
                "Never",
                "Monthly or less",
                "2 to 4 times a month",
                "2 to 3 times a week",
                "4 or more times a week",
            ),
        ),
        Item(
            "How many drinks containing alcohol do you have on a typical day when you are "
            "drinking?",
            _options("1 or 2", "3 or 4", "5 or 6", "7, 8, or 9", "10 or more"),
        ),
        Item(
            "How often do you have six or more drinks on one occasion?",
            _options("Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily"),
        ),
    ),
    cadence="month",
    bands=(),
    cut_note="Published cut points: 4 or more for men, 3 or more for women.",
    source="Bush K, Kivlahan DR, McDonell MB, et al. Arch Intern Med 1998;158:1789-1795; "
    "Bradley KA, Bush KR, Epler AJ, et al. Arch Intern Med 2003;163:821-829",
    reference=((3, "3: published cut point (women)"), (4, "4: published cut point (men)")),
)

INSTRUMENTS: dict[str, Instrument] = {i.code: i for i in (PHQ8, GAD7, PCL5, AUDITC)}


def instrument(code: str) -> Instrument:
    try:
        return INSTRUMENTS[code]
    except KeyError:
        raise ValueError(f"no measure {code!r}") from None


def band_of(measure: Instrument, total: int) -> str | None:
    for band in measure.bands:
        if band.low <= total <= band.high:
            return band.label
    return None


def score(measure: Instrument, answers: Sequence[int]) -> Score:
    """The published total: the sum of every item's answer, each one of that item's values."""
    if len(answers) != len(measure.items):
        raise ValueError(f"{measure.name} has {len(measure.items)} items, not {len(answers)}")
    for item, answer in zip(measure.items, answers, strict=True):
        if answer not in {option.value for option in item.options}:
            raise ValueError(f"{answer!r} is not an answer to {item.text!r}")
    total = sum(answers)
    return Score(measure.code, total, measure.max_total, band_of(measure, total))
