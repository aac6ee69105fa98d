"""The member's chart and table: a PNG of mood, sleep and cravings with medication changes
marked, and a CSV of every check-in. Pure functions of the data; matplotlib is imported on
first use so it costs nothing until someone asks for a chart."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime, time

from bot.services.checkins import CRAVINGS, MOODS, SOBER, Entry, Summary, sleep_words
from bot.services.journal import MedChange
from bot.services.text import plural

CHART_SIZE = (1200, 900)  # pixels
_DPI = 100
_CRAVING_LEVEL = {"none": 0, "mild": 1, "strong": 2}
_SLEEP_LEVEL = {"poor": 4.0, "ok": 6.5, "good": 8.0}  # drawn as hollow marks, not hours
CSV_HEADER = (
    "date",
    "time",
    "mood",
    "mood_words",
    "sleep_hours",
    "sleep_quality",
    "cravings",
    "sober_today",
    "shared_with",
    "note",
)
NO_ADVICE = (
    "Muster is not a medical service and gives no medical advice. This is your own record, to "
    "talk over with your provider. Don't change a medication without your prescriber."
)


def render_chart(
    entries: Sequence[Entry], changes: Sequence[MedChange], *, title: str, first: date, last: date
) -> bytes:
    """A PNG of CHART_SIZE pixels: mood, sleep and cravings by day, medication changes as lines."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # lazy: heavy import
    from matplotlib.figure import Figure  # lazy: heavy import

    figure = Figure(figsize=(CHART_SIZE[0] / _DPI, CHART_SIZE[1] / _DPI), dpi=_DPI)
    mood_axis, sleep_axis, craving_axis = figure.subplots(3, 1, sharex=True)
    when = [entry.local.replace(tzinfo=None) for entry in entries]
    mood_axis.plot(when, [entry.mood for entry in entries], marker="o", color="#3B6EA5")
    mood_axis.set_ylim(0.5, 5.5)
    mood_axis.set_yticks(list(MOODS), [f"{level} {word}" for level, word in MOODS.items()])
    mood_axis.set_title("Mood")
    hours = [
        (w, e.sleep_hours) for w, e in zip(when, entries, strict=True) if e.sleep_hours is not None
    ]
    sleep_axis.bar([w for w, _ in hours], [h for _, h in hours], width=0.6, color="#7A9CC6")
    worded = [(w, e.sleep_quality) for w, e in zip(when, entries, strict=True) if e.sleep_quality]
    sleep_axis.scatter(
        [w for w, _ in worded],
        [_SLEEP_LEVEL[q or "ok"] for _, q in worded],
        facecolors="none",
        edgecolors="#3B6EA5",
        label="poor / ok / good",
    )
    sleep_axis.set_ylim(0, 14)
    sleep_axis.set_title("Sleep (hours; hollow marks: poor, ok, good)")
    craving_axis.plot(
        when,
        [_CRAVING_LEVEL[e.cravings] for e in entries],
        marker="s",
        linestyle="none",
        color="#B5523B",
    )
    craving_axis.set_ylim(-0.5, 2.5)
    craving_axis.set_yticks([0, 1, 2], list(CRAVINGS.values()))
    craving_axis.set_title("Cravings")
    start = datetime.combine(first, time.min)
    end = datetime.combine(last, time.max)
    for axis in (mood_axis, sleep_axis, craving_axis):
        axis.set_xlim(start, end)
        axis.grid(alpha=0.3)
        for change in changes:
            axis.axvline(
                datetime.combine(change.changed_on, time(12)), color="#6A4C93", linestyle="--"
            )
    for change in changes:
        mood_axis.annotate(
            f"{change.medication} {change.dose}"[:40],
            (datetime.combine(change.changed_on, time(12)), 5.3),
            fontsize=8,
            color="#6A4C93",
            rotation=0,
        )
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]  # matplotlib lacks hints here
    craving_axis.xaxis.set_major_locator(locator)
    craving_axis.xaxis.set_major_formatter(
        ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]  # matplotlib lacks hints here
    )
    figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()


def checkins_csv(entries: Sequence[Entry]) -> bytes:
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(CSV_HEADER)
    for entry in entries:
        writer.writerow(
            [
                entry.local.date().isoformat(),
                entry.local.strftime("%H:%M"),
                entry.mood,
                MOODS[entry.mood],
                "" if entry.sleep_hours is None else f"{entry.sleep_hours:g}",
                entry.sleep_quality or "",
                entry.cravings,
                entry.sober,
                entry.share,
                entry.note or "",
            ]
        )
    return table.getvalue().encode("utf-8")


def summary_lines(summary: Summary) -> list[str]:
    """The plain-language summary, a line each."""
    if summary.count == 0:
        return ["No check-ins in this period yet."]
    lines = [f"{plural(summary.count, 'check-in')} on {plural(summary.days, 'day')}."]
    if summary.average_mood is not None:
        lines.append(f"Average mood {summary.average_mood:.1f} of 5; trend: {summary.trend}.")
    if summary.average_sleep is not None:
        lines.append(f"Average sleep {summary.average_sleep:.1f} hours (where hours were given).")
    cravings = ", ".join(
        f"{CRAVINGS[name].lower()} {count}" for name, count in summary.cravings.items()
    )
    lines.append(f"Cravings: {cravings}.")
    lines.append(
        f"Sober today answered yes on {plural(summary.sober_days, 'day')}; "
        f"longest run {plural(summary.longest_sober_run, 'day')}."
    )
    lines.append(f"Check-in streak: {plural(summary.checkin_streak, 'day')} in a row.")
    return lines


def entry_line(entry: Entry) -> str:
    return (
        f"{entry.local:%a %b %-d}: mood {entry.mood} ({MOODS[entry.mood].lower()}), sleep "
        f"{sleep_words(entry.sleep_hours, entry.sleep_quality).lower()}, cravings "
        f"{entry.cravings}, sober {SOBER[entry.sober].lower()}"
    )
