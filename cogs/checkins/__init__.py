"""/checkin, /meds and /sobriety, and the deliveries they schedule: delayed anonymous posts,
milestones, daily prompts and the weekly group summary."""

from cogs.checkins.cog import CheckinCog
from cogs.checkins.meds import MedsCog
from cogs.checkins.sobriety import SobrietyCog

__all__ = ["CheckinCog", "MedsCog", "SobrietyCog"]
