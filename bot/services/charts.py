"""The member's chart and table: a PNG of mood, sleep and cravings with medication changes
marked, and a CSV of every check-in. The chart is drawn from one point per day, in a worker
process; matplotlib is imported there, so the bot itself never loads it."""

from __future__ import annotations

import asyncio
import csv
import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from bot.services.checkins import CRAVINGS, MOODS, SOBER, Entry, Summary, sleep_words
from bot.services.journal import MedChange
from bot.services.text import plural

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

CHART_SIZE = (1200, 900)  # pixels
CHART_WORKERS = 1  # one core keeps serving members while a chart is drawn
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


@dataclass(frozen=True)
class DailySeries:
    """One point per day in the member's zone: what the chart draws. Plain values, so it
    crosses to the drawing process cheaply, and carries no notes."""

    days: list[date] = field(default_factory=list)
    mood: list[float] = field(default_factory=list)  # the day's average
    sleep_hours: list[float | None] = field(default_factory=list)  # average where hours given
    sleep_word: list[str | None] = field(default_factory=list)  # the day's last word, if no hours
    craving: list[int] = field(default_factory=list)  # the day's strongest, 0 to 2


def daily_points(entries: Sequence[Entry]) -> DailySeries:
    """Check-ins folded into one point per local day, oldest first."""
    by_day: dict[date, list[Entry]] = {}
    for entry in entries:
        by_day.setdefault(entry.local.date(), []).append(entry)
    series = DailySeries()
    for day in sorted(by_day):
        those = by_day[day]
        hours = [e.sleep_hours for e in those if e.sleep_hours is not None]
        words = [e.sleep_quality for e in those if e.sleep_quality]
        series.days.append(day)
        series.mood.append(sum(e.mood for e in those) / len(those))
        series.sleep_hours.append(sum(hours) / len(hours) if hours else None)
        series.sleep_word.append(words[-1] if words and not hours else None)
        series.craving.append(max(_CRAVING_LEVEL[e.cravings] for e in those))
    return series


# Charts are drawn in a worker process: matplotlib holds the GIL for the whole render, which
# in the bot's own process would stall every other member's command until it is done.
_pool: ProcessPoolExecutor | None = None


async def draw_chart(
    series: DailySeries, changes: Sequence[MedChange], *, title: str, first: date, last: date
) -> bytes:
    """render_chart in the drawing process, which starts on the first chart asked for."""
    return await in_drawing_process(
        functools.partial(render_chart, series, list(changes), title=title, first=first, last=last)
    )


async def in_drawing_process(draw: Callable[[], bytes]) -> bytes:
    """Run `draw` (picklable: a module-level function, or a partial of one) in the drawing
    process, which starts on the first chart asked for."""
    global _pool
    if _pool is None:
        from concurrent.futures import ProcessPoolExecutor  # lazy: only charts need it
        from multiprocessing import get_context

        _pool = ProcessPoolExecutor(max_workers=CHART_WORKERS, mp_context=get_context("forkserver"))
    return await asyncio.get_running_loop().run_in_executor(_pool, draw)


def stop_drawing() -> None:
    """Stop the drawing process (at shutdown); the next chart starts it again."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def render_chart(
    series: DailySeries, changes: Sequence[MedChange], *, title: str, first: date, last: date
) -> bytes:
    """A PNG of CHART_SIZE pixels: mood, sleep and cravings by day, medication changes as
    lines. One artist per series (collections), whatever the number of days."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # lazy: heavy import
    from matplotlib.figure import Figure  # lazy: heavy import

    figure = Figure(figsize=(CHART_SIZE[0] / _DPI, CHART_SIZE[1] / _DPI), dpi=_DPI)
    # Fixed margins instead of tight_layout, which measures every label on every draw.
    figure.subplots_adjust(left=0.14, right=0.97, top=0.9, bottom=0.07, hspace=0.35)
    mood_axis, sleep_axis, craving_axis = figure.subplots(3, 1, sharex=True)
    # A title placed by hand (y=1.0 below) skips measuring the ticks under it on every draw.
    when = [datetime.combine(day, time(12)) for day in series.days]
    mood_axis.plot(when, series.mood, marker="o", markersize=3, color="#3B6EA5")
    mood_axis.set_ylim(0.5, 5.5)
    mood_axis.set_yticks(list(MOODS), [f"{level} {word}" for level, word in MOODS.items()])
    mood_axis.set_title("Mood (the day's average)", y=1.0)
    hours = [(w, h) for w, h in zip(when, series.sleep_hours, strict=True) if h is not None]
    sleep_axis.vlines(
        [w for w, _ in hours], 0, [h for _, h in hours], colors="#7A9CC6",
        linewidth=max(1.0, 600 / max(len(series.days), 1)),
    )  # fmt: skip
    worded = [(w, q) for w, q in zip(when, series.sleep_word, strict=True) if q]
    sleep_axis.scatter(
        [w for w, _ in worded],
        [_SLEEP_LEVEL[q or "ok"] for _, q in worded],
        facecolors="none",
        edgecolors="#3B6EA5",
        label="poor / ok / good",
    )
    sleep_axis.set_ylim(0, 14)
    sleep_axis.set_title("Sleep (hours; hollow marks: poor, ok, good)", y=1.0)
    craving_axis.plot(
        when, series.craving, marker="s", markersize=3, linestyle="none", color="#B5523B"
    )
    craving_axis.set_ylim(-0.5, 2.5)
    craving_axis.set_yticks([0, 1, 2], list(CRAVINGS.values()))
    craving_axis.set_title("Cravings (the day's strongest)", y=1.0)
    start = datetime.combine(first, time.min)
    end = datetime.combine(last, time.max)
    marks = [datetime.combine(change.changed_on, time(12)) for change in changes]
    for axis in (mood_axis, sleep_axis, craving_axis):
        axis.set_xlim(start, end)
        axis.grid(alpha=0.3)
        if marks:
            axis.vlines(marks, 0, 1, transform=axis.get_xaxis_transform(),
                        colors="#6A4C93", linestyles="--")  # fmt: skip
    for change, mark in zip(changes, marks, strict=True):
        mood_axis.annotate(
            f"{change.medication} {change.dose}"[:40],
            (mark, 5.3),
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
    buffer = io.BytesIO()
    # Fast zlib: a chart of flat colours compresses well either way.
    figure.savefig(buffer, format="png", dpi=_DPI, pil_kwargs={"compress_level": 1})
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
