"""/meds plan: the member's taper plan exactly as their prescriber set it, each step's
reminder by DM on its date, and the optional symptom check after a step (bot/ui/taper.py).

Muster does no arithmetic on doses and suggests nothing: every place that shows a plan says
it is the prescriber's, and to talk to them before changing anything."""

from cogs.taper.cog import TaperCog

__all__ = ["TaperCog"]
