"""/crisis, the crisis buttons, DMs to the bot, and the senders of a named mentor request
(posting one not seen confirmed, the follow-up on one nobody claimed)."""

from cogs.crisis.cog import CrisisFlowCog

__all__ = ["CrisisFlowCog"]
