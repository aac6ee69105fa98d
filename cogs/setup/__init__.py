"""/setup for moderators (the guided /setup start, the editor, /setup show and named mentor
requests) and /mod audit: what moderators did."""

from cogs.setup.cog import ModCog, SetupCog

__all__ = ["ModCog", "SetupCog"]
