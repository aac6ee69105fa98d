"""The visit packet's PDF (issue 14), read back with pypdf, and the chart it carries: every
section drawn when it has something in it, one page unless the tables need a second, and
no two labels of the chart overlapping, measured on matplotlib's boxes."""

from __future__ import annotations

import io
import itertools
import logging
import math
from datetime import date, timedelta

import pypdf
import pytest

from bot.services.charts import DailySeries, chart_figure, daily_points
from bot.services.checkins import MedChange
from bot.services.packet import (
    FOOTER,
    MeasureScore,
    PacketData,
    SymptomCheck,
    TaperStep,
    initials,
    packet_chart,
    render_packet,
)
from tests.test_charts import ZONE, entry

FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)
MISSED = (5, 6, 12)


def series(first: date = FIRST, days: int = 30) -> DailySeries:
    kept = [first + timedelta(days=n) for n in range(days) if n not in MISSED]
    count = len(kept)
    return DailySeries(
        days=kept, mood=[3.0 + (n % 3) / 2 for n in range(count)], sleep_hours=[7.0] * count,
        sleep_word=[None] * count, craving=[n % 3 for n in range(count)],
        mood_low=[2] * count, mood_high=[4] * count, checkins=[2] * count,
        sober=[n % 4 != 0 for n in range(count)],
    )  # fmt: skip


def full_packet(**overrides: object) -> PacketData:
    values: dict[str, object] = {
        "who": "S.R.", "first": FIRST, "last": LAST, "zone": "America/Chicago",
        "series": series(),
        "changes": [
            MedChange(1, date(2026, 11, 3), "Sertraline", "100 mg", "with Dr. Lee"),
            MedChange(2, date(2026, 11, 17), "Sertraline", "75 mg", None),
            MedChange(3, date(2026, 11, 18), "Melatonin", "3 mg", "for sleep"),
        ],
        "checkin_count": 54, "average_mood": 3.4, "sober_days": 20, "longest_sober_run": 9,
        "counter_days": 45,
        "questions": ["Is the dizziness from the step down?", "Can the next step wait?"],
        "taper_steps": [TaperStep(date(2026, 11, 17), "75 mg daily", "first step"),
                        TaperStep(date(2026, 11, 29), "50 mg daily")],
        "symptom_checks": [SymptomCheck(date(2026, 11, 18), ("imbalance", "insomnia"), 2),
                           SymptomCheck(date(2026, 11, 20), (), 0)],
        "measures": [MeasureScore(date(2026, 11, 3), "PHQ-8", 12, "moderate"),
                     MeasureScore(date(2026, 11, 17), "PHQ-8", 9, "mild"),
                     MeasureScore(date(2026, 11, 17), "GAD-7", 6, "mild")],
    }  # fmt: skip
    return PacketData(**{**values, **overrides})  # type: ignore[arg-type]


def read(pdf: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())  # one space between words


def test_the_packet_has_every_section_on_one_page() -> None:
    pdf = render_packet(full_packet())
    pages, text = read(pdf)
    assert pages == 1
    for expected in (
        "Visit summary: S.R.",
        "Period: Nov 1, 2026 to Nov 30, 2026 (America/Chicago)",
        "54 check-ins on 27 days",
        "1 Nov 3, 2026 Sertraline 100 mg with Dr. Lee",
        "2 Nov 17, 2026 Sertraline 75 mg",
        "3 Nov 18, 2026 Melatonin 3 mg for sleep",
        "plan Nov 17, 2026 Taper step 75 mg daily first step",
        "plan Nov 29, 2026 Taper step 50 mg daily",
        "shown as your prescriber set them",
        "Nov 18, 2026 imbalance, insomnia 2",
        "PHQ-8: Nov 3: 12 (moderate) → Nov 17: 9 (mild)",
        "GAD-7: Nov 17: 6 (mild)",
        "A score, not a diagnosis",
        "Sober today answered yes on 20 days",
        "Sobriety counter: 45 days",
        "Questions for my provider",
        "1. Is the dizziness from the step down?",
        "2. Can the next step wait?",
        FOOTER,
        "Page 1 of 1",
    ):
        assert expected in text, expected
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages[0].images) == 1  # the chart


def test_sections_with_nothing_in_them_are_left_out() -> None:
    pages, text = read(render_packet(full_packet(
        taper_steps=[], symptom_checks=[], measures=[], questions=[], changes=[],
    )))  # fmt: skip
    assert pages == 1
    assert "No medication changes recorded in this period." in text
    for absent in ("Symptom checks", "Measures", "Questions for my provider", "Taper step"):
        assert absent not in text


def test_a_second_page_only_when_the_tables_need_it() -> None:
    long_note = "tired in the afternoons and dizzy when standing up quickly, " * 2
    crowded = full_packet(
        changes=[MedChange(n, FIRST + timedelta(days=n), "Sertraline", f"{100 - n} mg", long_note)
                 for n in range(20)],
        symptom_checks=[SymptomCheck(FIRST + timedelta(days=n), ("nausea",), 1)
                        for n in range(20)],
        questions=[f"Question {n}: " + "what should I watch for " * 7 for n in range(10)],
    )  # fmt: skip
    pages, text = read(render_packet(crowded))
    assert pages == 2
    assert "Page 1 of 2" in text
    assert "Page 2 of 2" in text
    assert text.count(FOOTER) == 2
    assert "Question 9:" in text
    assert "Older rows are left out to keep this short" in text


def test_the_member_chooses_name_or_initials() -> None:
    assert initials("Sam Rivera") == "S.R."
    assert initials("sam") == "S."
    assert initials("🙂") == "Member"
    _, text = read(render_packet(full_packet(who="Sam Rivera")))
    assert "Visit summary: Sam Rivera" in text


def test_letters_no_font_has_are_left_out_and_never_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        _, text = read(render_packet(full_packet(who="Sam 李", questions=["Is 💊 the cause?"])))
    assert "Visit summary: Sam" in text
    assert "1. Is the cause?" in text
    assert "💊" not in caplog.text
    assert "李" not in caplog.text


def overlapping(boxes: list[tuple[float, float, float, float]]) -> list[tuple[object, object]]:
    return [
        (a, b)
        for a, b in itertools.combinations(boxes, 2)
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


CROWDED = [
    MedChange(n, day, med, dose, None)
    for n, (day, med, dose) in enumerate([
        (date(2026, 11, 3), "Sertraline", "100 mg"),
        (date(2026, 11, 3), "Bupropion", "150 mg"),
        (date(2026, 11, 4), "Sertraline", "75 mg"),
        (date(2026, 11, 5), "Melatonin", "3 mg"),
        (date(2026, 11, 11), "Sertraline", "50 mg"),
        (date(2026, 11, 12), "Bupropion", "100 mg"),
        (date(2026, 11, 21), "Sertraline", "25 mg"),
        (date(2026, 11, 21), "Melatonin", "off"),
        (date(2026, 11, 22), "Hydroxyzine", "25 mg"),
        (date(2026, 11, 30), "Sertraline", "12.5 mg"),
    ])
]  # fmt: skip


@pytest.mark.parametrize("where", ["packet", "png"])
def test_medication_labels_never_overlap(where: str) -> None:
    if where == "packet":
        drawn = packet_chart(full_packet(changes=CROWDED))
    else:
        drawn = chart_figure(series(), CROWDED, title="t", first=FIRST, last=LAST)
    boxes = drawn.label_boxes()
    assert len(boxes) >= 5
    assert overlapping(boxes) == []
    # Every change is numbered: alone, or in a merged label such as "1-3".
    numbered: set[int] = set()
    for label in drawn.labels[: len(drawn.labels)]:
        words = label.get_text()
        if words[:1].isdigit() and "." not in words:
            low, _, high = words.partition("-")
            numbered |= set(range(int(low), int(high or low) + 1))
    assert numbered == set(range(1, len(CROWDED) + 1))


def test_each_medication_has_its_own_style() -> None:
    drawn = chart_figure(series(), CROWDED, title="t", first=FIRST, last=LAST)
    mood_axis = drawn.figure.axes[1]
    styles = {
        (tuple(c.get_colors()[0]), str(c.get_linestyle()))
        for c in mood_axis.collections
        if c.get_transform() == mood_axis.get_xaxis_transform()
    }
    assert len(styles) == 4  # sertraline, bupropion, melatonin, hydroxyzine


def test_mood_breaks_across_missed_days_and_sleep_has_its_unit() -> None:
    drawn = chart_figure(series(), [], title="t", first=FIRST, last=LAST)
    _, mood_axis, sleep_axis, craving_axis = drawn.figure.axes
    [line] = mood_axis.get_lines()
    gaps = [y for y in line.get_ydata() if math.isnan(y)]
    assert len(gaps) == 2  # days 6-7 and day 13 were missed
    assert sleep_axis.get_ylabel() == "hours"
    assert "sober that day (20 days)" in craving_axis.get_title()
    [strip] = [c for c in craving_axis.collections if len(c.get_paths()) == 20]
    assert strip is not None


def test_two_checkins_a_day_are_summarised_as_the_average_and_the_range() -> None:
    monday = entry(__import__("datetime").datetime(2026, 11, 23, 14, tzinfo=ZONE), 2, hours=6)
    later = entry(monday.at + timedelta(hours=6), 5, hours=8)
    folded = daily_points([monday, later])
    assert (folded.mood, folded.mood_low, folded.mood_high, folded.checkins) == (
        [3.5],
        [2],
        [5],
        [2],
    )
    drawn = chart_figure(folded, [], title="t", first=monday.local.date(),
                         last=monday.local.date())  # fmt: skip
    ranges = [c for c in drawn.figure.axes[1].collections if len(c.get_segments()) == 1]
    assert [list(map(float, seg[:, 1])) for seg in ranges[0].get_segments()] == [[2.0, 5.0]]


def test_the_packet_goes_out_on_local_mornings_across_a_clock_change() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.services.packet.offers import packet_times

    york = ZoneInfo("America/New_York")
    # Clocks go back on Sunday Nov 1, 2026: three days before is in EDT, the visit in EST.
    visit = datetime(2026, 11, 2, 14, 0, tzinfo=york).astimezone(UTC)
    now = datetime(2026, 10, 20, tzinfo=UTC)
    assert packet_times(visit, "America/New_York", now) == [
        ("three days before", datetime(2026, 10, 30, 12, 0, tzinfo=UTC)),  # 8am EDT
        ("the morning of", datetime(2026, 11, 2, 13, 0, tzinfo=UTC)),  # 8am EST
    ]
    early = datetime(2026, 11, 2, 7, 30, tzinfo=york).astimezone(UTC)
    assert packet_times(early, "America/New_York", now)[1][1] == early - timedelta(hours=1)
    # Only what is still ahead: two days before the visit, the morning one alone.
    later = datetime(2026, 10, 31, 12, tzinfo=UTC)
    assert [when for when, _ in packet_times(visit, "America/New_York", later)] == [
        "the morning of"
    ]
