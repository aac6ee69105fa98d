"""A simple trend chart of one measure's scores, in the style of the check-in chart
(bot/services/charts.py): drawn in the drawing process, matplotlib imported only there."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from datetime import datetime

from bot.services.charts import _DPI, in_drawing_process
from bot.services.measures.instruments import instrument

TREND_SIZE = (1000, 500)  # pixels
_BAND_SHADES = ("#EEF3F9", "#FFFFFF")


def render_trend(code: str, points: Sequence[tuple[datetime, int]]) -> bytes:
    """A PNG: the measure's totals over time on its full published range, its published
    bands shaded and named; the title says it is a score, not a diagnosis."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num  # lazy: heavy
    from matplotlib.figure import Figure  # lazy: heavy import

    measure = instrument(code)
    figure = Figure(figsize=(TREND_SIZE[0] / _DPI, TREND_SIZE[1] / _DPI), dpi=_DPI)
    figure.subplots_adjust(left=0.08, right=0.78, top=0.86, bottom=0.12)
    axis = figure.subplots()
    for number, band in enumerate(measure.bands):
        axis.axhspan(band.low - 0.5, band.high + 0.5, color=_BAND_SHADES[number % 2], zorder=0)
        axis.annotate(
            f"{band.low}-{band.high} {band.label}", (1.01, (band.low + band.high) / 2),
            xycoords=("axes fraction", "data"), fontsize=8, va="center", color="#555555",
        )  # fmt: skip
    for value, words in measure.reference:
        axis.axhline(value, color="#6A4C93", linestyle="--", linewidth=1)
        axis.annotate(
            words, (1.01, value), xycoords=("axes fraction", "data"), fontsize=8,
            va="center", color="#6A4C93",
        )  # fmt: skip
    when = [date2num(moment) for moment, _ in points]  # type: ignore[no-untyped-call]  # matplotlib lacks hints here
    axis.plot(when, [total for _, total in points], marker="o", markersize=5, color="#3B6EA5")
    axis.set_ylim(-0.5, measure.max_total + 0.5)
    axis.set_ylabel(f"total, 0 to {measure.max_total}")
    axis.grid(alpha=0.3)
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]  # matplotlib lacks hints here
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(
        ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]  # matplotlib lacks hints here
    )
    figure.suptitle(f"{measure.name} ({measure.about}): a score, not a diagnosis")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


async def draw_trend(code: str, points: Sequence[tuple[datetime, int]]) -> bytes:
    return await in_drawing_process(functools.partial(render_trend, code, list(points)))
