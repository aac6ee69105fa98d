"""/about and /help: what Muster is, and what you can do with it."""

from cogs.general.cog import GeneralCog

__all__ = ["GeneralCog"]
