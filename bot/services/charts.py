"""The member's chart and table: a PNG of mood, sleep and cravings with medication changes
marked, and a CSV of every check-in. The chart is drawn from one point per day, in a worker
process; matplotlib is imported there, so the bot itself never loads it."""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

# From the modules, not the package: the package's Period draws its chart with this module.
from bot.services.checkins.medications import MedChange
from bot.services.checkins.rules import CRAVINGS, MOODS, SOBER, Entry, Summary, sleep_words
from bot.services.text import plural

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

CHART_SIZE = (1200, 900)  # pixels
CHART_WORKERS = 1  # one core keeps serving members while a chart is drawn
# The drawing process yields the CPU to the bot's: a report may wait, a check-in should not.
DRAWING_NICENESS = 10
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
    "record",  # "check-in" or "medication change"
    "medication",
    "dose",
)
NO_ADVICE = "Your own record, to talk over with your provider. Muster gives no medical advice."


@dataclass(frozen=True)
class DailySeries:
    """One point per day in the member's zone: what the chart draws. Plain values, so it
    crosses to the drawing process cheaply, and carries no notes."""

    days: list[date] = field(default_factory=list)
    mood: list[float] = field(default_factory=list)  # the day's average
    sleep_hours: list[float | None] = field(default_factory=list)  # average where hours given
    sleep_word: list[str | None] = field(default_factory=list)  # the day's last word, if no hours
    craving: list[int] = field(default_factory=list)  # the day's strongest, 0 to 2
    mood_low: list[int] = field(default_factory=list)  # the day's lowest and highest mood:
    mood_high: list[int] = field(default_factory=list)  # a range when it had two check-ins
    checkins: list[int] = field(default_factory=list)  # check-ins that day
    # Sober that day: True when it said yes and none said no, False when one said no.
    sober: list[bool | None] = field(default_factory=list)


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
        answers = {e.sober for e in those}
        series.days.append(day)
        series.mood.append(sum(e.mood for e in those) / len(those))
        series.mood_low.append(min(e.mood for e in those))
        series.mood_high.append(max(e.mood for e in those))
        series.checkins.append(len(those))
        series.sleep_hours.append(sum(hours) / len(hours) if hours else None)
        series.sleep_word.append(words[-1] if words and not hours else None)
        series.craving.append(max(_CRAVING_LEVEL[e.cravings] for e in those))
        series.sober.append(False if "no" in answers else True if "yes" in answers else None)
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

        _pool = ProcessPoolExecutor(
            max_workers=CHART_WORKERS,
            mp_context=get_context("forkserver"),
            initializer=_yield_to_the_bot,
        )
    return await asyncio.get_running_loop().run_in_executor(_pool, draw)


def _yield_to_the_bot() -> None:
    os.nice(DRAWING_NICENESS)


def stop_drawing() -> None:
    """Stop the drawing process (at shutdown); the next chart starts it again."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


# Each medication its own line: colour and dash, in the order they first appear.
MED_STYLES: tuple[tuple[str, Any], ...] = (
    ("#6A4C93", "--"),
    ("#1B7F79", ":"),
    ("#B5523B", "-."),
    ("#3B6EA5", (0, (6, 2, 1, 2, 1, 2))),
    ("#8C6D1F", (0, (1, 3))),
    ("#555555", (0, (8, 3))),
)
LEGEND_ROWS = 10  # changes named in the PNG's legend; the rest are in the report's table
_LABEL_GAP = 4  # pixels between two change numbers


@dataclass
class Drawn:
    """A chart as drawn, before it is saved: the figure and the texts that must never
    overlap (the change numbers and the legend's entries), for the tests to measure."""

    figure: Any
    labels: list[Any]

    def label_boxes(self) -> list[tuple[float, float, float, float]]:
        self.figure.canvas.draw()  # a legend places its texts when drawn
        renderer = self.figure.canvas.get_renderer()
        boxes = []
        for label in self.labels:
            box = label.get_window_extent(renderer)
            boxes.append((box.x0, box.y0, box.x1, box.y1))
        return boxes

    def png(self) -> bytes:
        buffer = io.BytesIO()
        # Fast zlib: a chart of flat colours compresses well either way.
        self.figure.savefig(buffer, format="png", dpi=self.figure.dpi,
                            pil_kwargs={"compress_level": 1})  # fmt: skip
        return buffer.getvalue()


def medication_styles(changes: Sequence[MedChange]) -> dict[str, tuple[str, Any]]:
    """A style per medication (by name, case aside), in the order they first appear."""
    styles: dict[str, tuple[str, Any]] = {}
    for change in changes:
        key = change.medication.casefold()
        if key not in styles:
            styles[key] = MED_STYLES[len(styles) % len(MED_STYLES)]
    return styles


def _gapped(
    when: list[datetime], values: Sequence[float | None], days: list[date]
) -> tuple[list[datetime], list[float]]:
    """The points with a break (NaN) wherever a day was missed: no line joins across it."""
    xs: list[datetime] = []
    ys: list[float] = []
    for index, (moment, value) in enumerate(zip(when, values, strict=True)):
        if index and (days[index] - days[index - 1]).days > 1:
            xs.append(moment - timedelta(hours=12))
            ys.append(math.nan)
        xs.append(moment)
        ys.append(math.nan if value is None else value)
    return xs, ys


def chart_figure(
    series: DailySeries,
    changes: Sequence[MedChange],
    *,
    title: str,
    first: date,
    last: date,
    size: tuple[int, int] = CHART_SIZE,
    dpi: int = _DPI,
    legend: str = "changes",
) -> Drawn:
    """Mood, sleep, cravings and sober days by day; each medication change a numbered line
    in its medication's style. `legend`: "changes" names every change (the PNG), or
    "medications" names each medication's style (the packet, whose table lists the changes)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy: heavy import
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    figure = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    named = legend == "changes" and bool(changes)
    # Fixed margins instead of tight_layout, which measures every label on every draw: in
    # inches, so a smaller chart (the packet's) keeps room for its dates and its legend.
    height = size[1] / dpi
    below = (1.8 if named else 0.75 if changes else 0.5) / height
    top = 1 - (0.6 if title else 0.3) / height
    figure.subplots_adjust(left=0.14, right=0.97, top=top, bottom=below, hspace=0.55)
    strip, mood_axis, sleep_axis, craving_axis = figure.subplots(
        4, 1, sharex=True, gridspec_kw={"height_ratios": [0.35, 3, 2, 1.6]}
    )
    when = [datetime.combine(day, time(12)) for day in series.days]
    xs, ys = _gapped(when, series.mood, series.days)
    mood_axis.plot(xs, ys, marker="o", markersize=3, color="#3B6EA5")
    spread = [(w, lo, hi) for w, lo, hi, n in
              zip(when, series.mood_low, series.mood_high, series.checkins, strict=True)
              if n > 1 and hi > lo]  # fmt: skip
    if spread:
        mood_axis.vlines([w for w, _, _ in spread], [lo for _, lo, _ in spread],
                         [hi for _, _, hi in spread], colors="#9DB7D5", linewidth=3)  # fmt: skip
    mood_axis.set_ylim(0.5, 5.5)
    mood_axis.set_yticks(list(MOODS), [f"{level} {word}" for level, word in MOODS.items()])
    mood_axis.set_title("Mood: the day's average (bar: the range of its check-ins; gap: none)",
                        y=1.0, fontsize=9)  # fmt: skip
    hours = [(w, h) for w, h in zip(when, series.sleep_hours, strict=True) if h is not None]
    sleep_axis.vlines(
        [w for w, _ in hours], 0, [h for _, h in hours], colors="#7A9CC6",
        linewidth=max(0.8, 0.6 * 0.83 * size[0] * 72 / dpi / ((last - first).days + 1)),
    )  # fmt: skip
    worded = [(w, q) for w, q in zip(when, series.sleep_word, strict=True) if q]
    sleep_axis.scatter([w for w, _ in worded], [_SLEEP_LEVEL[q or "ok"] for _, q in worded],
                       facecolors="none", edgecolors="#3B6EA5")  # fmt: skip
    sleep_axis.set_ylim(0, 14)
    sleep_axis.set_ylabel("hours")
    sleep_axis.set_title("Sleep, hours a night (hollow marks: poor, ok, good, no hours given)",
                         y=1.0, fontsize=9)  # fmt: skip
    craving_axis.plot(when, series.craving, marker="s", markersize=3, linestyle="none",
                      color="#B5523B")  # fmt: skip
    sober = [(date2num(datetime.combine(d, time.min)), 1.0)  # type: ignore[no-untyped-call]
             for d, yes in zip(series.days, series.sober, strict=True) if yes]  # fmt: skip
    craving_axis.broken_barh(sober, (-0.45, 0.2), facecolors="#4C9A6A")
    craving_axis.set_ylim(-0.5, 2.5)
    craving_axis.set_yticks([0, 1, 2], list(CRAVINGS.values()))
    craving_axis.set_title(
        f"Cravings (the day's strongest); green strip: sober that day "
        f"({plural(sum(1 for yes in series.sober if yes), 'day')})", y=1.0, fontsize=9,
    )  # fmt: skip
    start = datetime.combine(first, time.min)
    end = datetime.combine(last, time.max)
    styles = medication_styles(changes)
    for axis in (strip, mood_axis, sleep_axis, craving_axis):
        axis.set_xlim(start, end)
        axis.tick_params(labelsize=8)
        if axis is not strip:
            axis.grid(alpha=0.3)
        for key, (colour, dash) in styles.items():
            marks = [datetime.combine(c.changed_on, time(12)) for c in changes
                     if c.medication.casefold() == key]  # fmt: skip
            axis.vlines(marks, 0, 1, transform=axis.get_xaxis_transform(), colors=colour,
                        linestyles=dash, linewidth=1.4)  # fmt: skip
    strip.set_yticks([])
    strip.set_ylim(0, 1)
    strip.xaxis.set_visible(False)
    for side in ("top", "right", "left", "bottom"):
        strip.spines[side].set_visible(False)
    strip.set_title("Medication changes (numbered in date order)", y=1.0, fontsize=9)
    labels = _number_changes(strip, changes)
    if named:
        labels += _legend(figure, changes, styles)
    elif changes:
        handles = [Line2D([], [], color=c, linestyle=d) for c, d in styles.values()]
        names = list(dict.fromkeys(c.medication for c in changes))
        drawn = figure.legend(handles, [n[:30] for n in names], loc="lower center", fontsize=7,
                              ncols=min(len(names), 5), frameon=False)  # fmt: skip
        labels += list(drawn.get_texts())
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]  # matplotlib lacks hints here
    craving_axis.xaxis.set_major_locator(locator)
    craving_axis.xaxis.set_major_formatter(
        ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]  # matplotlib lacks hints here
    )
    figure.suptitle(title)
    return Drawn(figure, labels)


def _number_changes(strip: Any, changes: Sequence[MedChange]) -> list[Any]:
    """One number per change above the chart, in one row. Numbers that would touch are
    merged into one label ("3-5"), measured as drawn: they never overlap."""
    renderer = strip.figure.canvas.get_renderer()
    placed: list[tuple[int, int, Any]] = []  # first and last number, the text

    def put(low: int, high: int) -> Any:
        days = [changes[i].changed_on for i in range(low, high + 1)]
        middle = datetime.combine(days[0], time(12)) + (days[-1] - days[0]) / 2
        words = str(low + 1) if low == high else f"{low + 1}-{high + 1}"
        return strip.text(middle, 0.45, words, ha="center", va="center", fontsize=8,
                          color="#333333", clip_on=False,
                          bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})  # fmt: skip

    for index in range(len(changes)):
        low, high, text = index, index, put(index, index)
        while placed:
            before = placed[-1][2].get_window_extent(renderer)
            if text.get_window_extent(renderer).x0 >= before.x1 + _LABEL_GAP:
                break
            low, _, merged = placed.pop()
            merged.remove()
            text.remove()
            text = put(low, high)
        placed.append((low, high, text))
    return [text for _, _, text in placed]


def _legend(figure: Any, changes: Sequence[MedChange], styles: dict[str, Any]) -> list[Any]:
    from matplotlib.lines import Line2D  # lazy: heavy import

    shown = list(enumerate(changes, start=1))[:LEGEND_ROWS]
    handles = [Line2D([], [], color=styles[c.medication.casefold()][0],
                      linestyle=styles[c.medication.casefold()][1]) for _, c in shown]  # fmt: skip
    words = [f"{n}. {c.changed_on:%b %-d}: {c.medication} {c.dose}"[:48] for n, c in shown]
    if len(changes) > LEGEND_ROWS:
        handles.append(Line2D([], [], linestyle="none"))
        words.append(f"and {len(changes) - LEGEND_ROWS} more (see the table)")
    drawn = figure.legend(handles, words, loc="lower center", ncols=2, fontsize=8,
                          frameon=False, bbox_to_anchor=(0.5, 0.0))  # fmt: skip
    return list(drawn.get_texts())


def render_chart(
    series: DailySeries, changes: Sequence[MedChange], *, title: str, first: date, last: date
) -> bytes:
    """A PNG of CHART_SIZE pixels (see chart_figure)."""
    return chart_figure(series, changes, title=title, first=first, last=last).png()


def checkins_csv(entries: Sequence[Entry], changes: Sequence[MedChange] = ()) -> bytes:
    """Every check-in, then every medication change, in one table: `record` says which."""
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
                "check-in",
                "",
                "",
            ]
        )
    for change in changes:
        blank = [""] * 8
        writer.writerow([change.changed_on.isoformat(), *blank, change.note or "",
                         "medication change", change.medication, change.dose])  # fmt: skip
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
