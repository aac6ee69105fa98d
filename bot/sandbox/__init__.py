"""A local stand-in for Discord that the real, unmodified discord.py client talks to.

Used by `python -m bot demo` and by the tests. It speaks enough of Discord's REST API and
gateway for login, command sync, slash commands, autocomplete, buttons, selects, modals,
ephemeral replies, followups, channel messages and DMs, and it holds the bot to Discord's
rules: the 3-second first response, respond-once, request bodies valid against Discord's
OpenAPI description (when present) and the hard limits the description leaves out.
"""

from bot.sandbox.base import InteractionResult, SandboxError
from bot.sandbox.server import Sandbox
from bot.sandbox.state import Channel, Guild, Member, Message, Role

__all__ = [
    "Channel",
    "Guild",
    "InteractionResult",
    "Member",
    "Message",
    "Role",
    "Sandbox",
    "SandboxError",
]
