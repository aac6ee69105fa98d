"""Optional validated measures (issue 14): PHQ-8, GAD-7, PCL-5 and AUDIT-C, each opted in
on its own, prompted by DM on its cadence, filled in page by page, scored with the
instrument's published bands and never read as a diagnosis.

Public API:
- `MeasureService`: opt in and out, the scheduled prompt (`prepare`), filling in
  (`start`, `resume`, `answer`), and `scores(user_id, first, last)`: the member's scores
  for a period as plain `MeasureScore` dataclasses (what the visit packet shows).
- `INSTRUMENTS`, `instrument`, `score`: the instruments as pure data, and their scoring.
- `MeasureData`: the hook for /mydata, retention and key rotation.
- `render_trend` / `draw_trend`: a simple trend chart of one measure.
"""

from bot.services.measures.chart import draw_trend, render_trend
from bot.services.measures.data import RESULTS_KEPT, MeasureData
from bot.services.measures.instruments import (
    INSTRUMENTS,
    PAGE_SIZE,
    Band,
    Instrument,
    Item,
    Option,
    Score,
    band_of,
    instrument,
    score,
)
from bot.services.measures.service import (
    DRAFT_KEPT,
    EXPIRED,
    MEASURE,
    PROMPT_LATE_LIMIT,
    Draft,
    MeasurePrompt,
    MeasureScore,
    MeasureService,
    OptIn,
)

NOT_A_DIAGNOSIS = "A score, not a diagnosis; bring it to your provider."

__all__ = [
    "DRAFT_KEPT", "EXPIRED", "INSTRUMENTS", "MEASURE", "NOT_A_DIAGNOSIS", "PAGE_SIZE",
    "PROMPT_LATE_LIMIT", "RESULTS_KEPT", "Band", "Draft", "Instrument", "Item", "MeasureData",
    "MeasurePrompt", "MeasureScore", "MeasureService", "OptIn", "Option", "Score", "band_of",
    "draw_trend", "instrument", "render_trend", "score",
]  # fmt: skip
