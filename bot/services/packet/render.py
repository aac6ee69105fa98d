"""The visit packet as a PDF a prescriber can read in half a minute: one page, a second
only when the tables need it. Drawn with fpdf2 in the drawing process (like the chart),
from a PacketData and nothing else."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator, Sequence
from typing import Any

from bot.services.charts import chart_figure
from bot.services.packet.data import PacketData
from bot.services.text import plural

FOOTER = "Self-reported; Muster gives no medical advice."
TITLE = "Visit summary"
PLAN_NOTE = (
    "Taper steps are shown as your prescriber set them, word for word. Talk to your "
    "prescriber before changing anything."
)
MEASURE_NOTE = "A score, not a diagnosis; bring it to your provider."
NO_CHANGES = "No medication changes recorded in this period."
UNREADABLE_NOTE = "Some entries could not be read with the keys Muster has now."
MAX_PAGES = 2
# The newest rows of each table, fewer until the packet fits on MAX_PAGES; the CSV (and
# /meds history) have every one.
ROW_LIMITS = ((14, 10), (8, 6), (4, 3))
CUT_NOTE = "Older rows are left out to keep this short; the CSV has every one."
_MARGIN = 12  # mm
_CHART_PX = (1125, 690)
_CHART_DPI = 150
_GREY = (90, 90, 90)


@functools.cache
def _drawable() -> frozenset[int]:
    """The letters DejaVu Sans has. Any other (an emoji, a CJK name) is left out of the page:
    fpdf2 would draw it as a blank box and log a warning naming it, and a member's words
    never go to a log."""
    from fontTools.ttLib import TTFont  # lazy: fpdf2's own dependency, the drawing process's

    regular, _ = _fonts()
    return frozenset(TTFont(regular, lazy=True)["cmap"].getBestCmap())


def _printable(text: str) -> str:
    drawable = _drawable()
    return "".join(letter for letter in text if ord(letter) in drawable or letter == "\n")


def _fonts() -> tuple[str, str]:
    """DejaVu Sans, which matplotlib ships: every Latin, Greek and Cyrillic letter a member
    may type, where the PDF core fonts hold Latin-1 only."""
    from pathlib import Path

    from matplotlib import get_data_path  # lazy: heavy import

    folder = Path(get_data_path()) / "fonts" / "ttf"
    return str(folder / "DejaVuSans.ttf"), str(folder / "DejaVuSans-Bold.ttf")


def packet_chart(data: PacketData) -> Any:
    """The packet's chart, as drawn (the tests measure its labels)."""
    return chart_figure(
        data.series, data.changes, title="", first=data.first, last=data.last,
        size=_CHART_PX, dpi=_CHART_DPI, legend="medications",
    )  # fmt: skip


def period_line(data: PacketData) -> str:
    return (
        f"Period: {data.first:%b %-d, %Y} to {data.last:%b %-d, %Y} ({data.zone}). "
        f"{plural(data.checkin_count, 'check-in')} on {plural(len(data.series.days), 'day')}"
        + (f"; average mood {data.average_mood:.1f} of 5." if data.average_mood else ".")
    )


def medication_rows(data: PacketData, limit: int) -> list[tuple[str, str, str, str, str]]:
    """(#, date, what, dose as written, note): logged changes numbered as on the chart, and
    the taper plan's steps, in date order; the newest `limit`."""
    rows: list[tuple[Any, str, str, str, str, str]] = []
    for number, change in enumerate(data.changes, start=1):
        rows.append((change.changed_on, str(number), f"{change.changed_on:%b %-d, %Y}",
                     change.medication, change.dose, change.note or ""))  # fmt: skip
    for step in data.taper_steps:
        rows.append((step.date, "plan", f"{step.date:%b %-d, %Y}", "Taper step",
                     step.dose_as_written, step.note or ""))  # fmt: skip
    rows.sort(key=lambda row: row[0])
    return [(n, when, what, dose[:60], note[:90]) for _, n, when, what, dose, note in rows][-limit:]


def sober_line(data: PacketData) -> str:
    days = len(data.series.days)
    line = (
        f"Sober today answered yes on {plural(data.sober_days, 'day')} of the "
        f"{plural(days, 'day')} with a check-in; longest run "
        f"{plural(data.longest_sober_run, 'day')}."
    )
    if data.counter_days is not None:
        line += f" Sobriety counter: {plural(data.counter_days, 'day')}."
    return line


def measure_lines(data: PacketData) -> Iterator[str]:
    """Each instrument's scores, oldest to newest, with their published bands."""
    by_instrument: dict[str, list[str]] = {}
    for score in sorted(data.measures, key=lambda s: s.date):
        by_instrument.setdefault(score.instrument, []).append(
            f"{score.date:%b %-d}: {score.score} ({score.band})"
        )
    for instrument, scores in by_instrument.items():
        yield f"{instrument}: " + " → ".join(scores[-6:])


class _Packet:
    def __init__(self) -> None:
        from fpdf import FPDF  # lazy: only the drawing process needs it

        regular, bold = _fonts()

        class Page(FPDF):
            def footer(self) -> None:
                self.set_y(-10)
                self.set_font("DejaVu", size=7)
                self.set_text_color(*_GREY)
                self.cell(0, 4, f"{FOOTER}  Page {self.page_no()} of {{nb}}", align="C")

        self.pdf = Page(orientation="portrait", unit="mm", format="letter")
        self.pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.pdf.set_auto_page_break(auto=True, margin=14)
        self.pdf.add_font("DejaVu", "", regular)
        self.pdf.add_font("DejaVu", "B", bold)
        self.pdf.set_title(TITLE)
        self.pdf.set_creator("Muster")
        self.pdf.add_page()

    def heading(self, text: str) -> None:
        self.pdf.ln(1.5)
        self.pdf.set_font("DejaVu", "B", 10)
        self.pdf.set_text_color(0, 0, 0)
        self.pdf.cell(0, 5.5, _printable(text), new_x="LMARGIN", new_y="NEXT")

    def text(self, text: str, *, size: float = 8.5, grey: bool = False) -> None:
        self.pdf.set_font("DejaVu", "", size)
        self.pdf.set_text_color(*(_GREY if grey else (0, 0, 0)))
        self.pdf.multi_cell(0, size * 0.48, _printable(text), new_x="LMARGIN", new_y="NEXT")

    def table(self, headings: tuple[str, ...], rows: Sequence[tuple[str, ...]],
              widths: tuple[int, ...]) -> None:  # fmt: skip
        from fpdf.fonts import FontFace  # lazy: only the drawing process needs it

        self.pdf.set_font("DejaVu", "", 8)
        self.pdf.set_text_color(0, 0, 0)
        with self.pdf.table(
            col_widths=widths, text_align="LEFT", line_height=4, padding=(0.6, 1),
            headings_style=FontFace(emphasis="BOLD", fill_color=(232, 236, 242)),
            first_row_as_headings=True, markdown=False,
        ) as table:  # fmt: skip
            for row in [headings, *rows]:
                cells = table.row()
                for value in row:
                    cells.cell(_printable(value))

    def image(self, png: bytes) -> None:
        width = self.pdf.epw
        height = width * _CHART_PX[1] / _CHART_PX[0]
        if self.pdf.get_y() + height > self.pdf.page_break_trigger:
            self.pdf.add_page()
        self.pdf.image(io.BytesIO(png), x=_MARGIN, w=width, h=height)
        self.pdf.set_y(self.pdf.get_y() + 1)

    @property
    def pages(self) -> int:
        return int(self.pdf.page_no())

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def render_packet(data: PacketData) -> bytes:
    """The packet's PDF, on one page if it fits and never more than MAX_PAGES. Every section
    but the header, the chart, sober days and the footer is drawn only when it has
    something in it."""
    for rows, checks in ROW_LIMITS:
        page = _draw(data, rows, checks)
        if page.pages <= MAX_PAGES:
            break
    return page.output()


def _draw(data: PacketData, row_limit: int, check_limit: int) -> _Packet:
    page = _Packet()
    page.pdf.set_font("DejaVu", "B", 15)
    page.pdf.cell(0, 8, _printable(f"{TITLE}: {data.who}"), new_x="LMARGIN", new_y="NEXT")
    page.text(period_line(data), size=9)
    if data.unreadable:
        page.text(UNREADABLE_NOTE, grey=True)
    page.heading("Medication log and taper steps")
    rows = medication_rows(data, row_limit)
    cut = len(rows) < len(data.changes) + len(data.taper_steps)
    if rows:
        page.table(("#", "Date", "Medication", "Dose (as written)", "Note"), rows,
                   (11, 24, 38, 40, 79))  # fmt: skip
        if data.taper_steps:
            page.text(PLAN_NOTE, size=7.5, grey=True)
    else:
        page.text(NO_CHANGES)
    page.heading("Mood, sleep, cravings and sober days")
    page.image(packet_chart(data).png())
    if data.symptom_checks:
        page.heading("Symptom checks after each step")
        checks = sorted(data.symptom_checks, key=lambda c: c.date)[-check_limit:]
        cut = cut or len(checks) < len(data.symptom_checks)
        page.table(
            ("Date", "Symptoms ticked", "How bad (0-3)"),
            [(f"{c.date:%b %-d, %Y}", ", ".join(c.groups) or "none", str(c.severity))
             for c in checks],
            (28, 130, 34),
        )  # fmt: skip
    if data.measures:
        page.heading("Measures")
        for line in measure_lines(data):
            page.text(line)
        page.text(MEASURE_NOTE, size=7.5, grey=True)
    page.heading("Sober days")
    page.text(sober_line(data))
    if data.questions:
        page.heading("Questions for my provider")
        for number, question in enumerate(data.questions, start=1):
            page.text(f"{number}. {question}", size=9)
    if cut:
        page.text(CUT_NOTE, size=7.5, grey=True)
    return page
