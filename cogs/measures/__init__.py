"""/measures: optional validated measures (PHQ-8, GAD-7, PCL-5, AUDIT-C), opted in one by one,
prompted by DM on each one's cadence, filled in page by page, scores shown privately."""

from cogs.measures.cog import MeasuresCog

__all__ = ["MeasuresCog"]
