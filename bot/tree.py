"""The command tree: one global error handler and a respond() that always finds a way to answer."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
from discord import app_commands
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError

from bot.errors import UserFacingError

if TYPE_CHECKING:
    from bot.app import MusterBot
    from bot.services import Services

log = logging.getLogger(__name__)

NOT_IN_DMS = "That command works inside a server, not in DMs."
NOT_HERE = "That command works in a server or in my DMs, not in this conversation."
# Database errors that mean a bug in Muster, not a busy or unreachable database.
_OUR_MISTAKES = (IntegrityError, ProgrammingError, DataError)
DATABASE_BUSY = (
    "I'm having trouble saving things right now, so nothing was changed. "
    "Please try again in a minute. If you need help now, /crisis always works."
)
_CHECK_MESSAGES: tuple[tuple[type[app_commands.AppCommandError], str], ...] = (
    (app_commands.NoPrivateMessage, NOT_IN_DMS),
    (app_commands.MissingPermissions, "You don't have permission to do that here."),
    (app_commands.MissingRole, "You need a moderator role for that."),
    (app_commands.MissingAnyRole, "You need a moderator role for that."),
    (app_commands.BotMissingPermissions, "I'm missing a permission I need for that here."),
)


T = TypeVar("T")


def anywhere(command: T) -> T:
    """A member's own tool: offered in servers, in Muster's DM, and, once the member has added
    Muster to their account (a user install), in any DM or group DM. Muster is not in those
    conversations, so it answers there only through the interaction: ephemerally, unless the
    member chose to show it (the crisis card). What it shares goes to a server channel."""
    command = app_commands.allowed_installs(guilds=True, users=True)(command)
    return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)(command)


def servers_only(command: T) -> T:
    """A command for a group, in its server: moderators' commands, /setup, meetings. Never
    offered in DMs, nor through a user install."""
    command = app_commands.guild_only()(command)
    return app_commands.allowed_installs(guilds=True, users=False)(command)


def services_of(interaction: discord.Interaction[Any]) -> Services:
    """The services of the bot an interaction arrived at (for items built without a cog)."""
    return cast("MusterBot", interaction.client).services


def group_of(interaction: discord.Interaction[Any]) -> int | None:
    """The group (server) an interaction came from, if Muster serves it: None in DMs, and in
    a server Muster was never added to, which a member's user install reaches too."""
    if interaction.guild_id is None or not interaction.is_guild_integration():
        return None
    return interaction.guild_id


async def member_zone(interaction: discord.Interaction[Any]) -> str:
    """The zone the member's times are shown in (see Services.zone_of)."""
    return await services_of(interaction).zone_of(interaction.user.id, group_of(interaction))


async def respond(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
) -> None:
    """Answer an interaction whether it is fresh, deferred or already answered."""
    kwargs: dict[str, Any] = {"content": content, "ephemeral": ephemeral}
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


def reporting(
    callback: Callable[[Any, discord.Interaction[Any]], Coroutine[Any, Any, None]],
) -> Callable[[Any, discord.Interaction[Any]], Coroutine[Any, Any, None]]:
    """For dynamic items' callbacks: discord.py only logs their errors, so report them here."""

    @functools.wraps(callback)
    async def wrapper(self: Any, interaction: discord.Interaction[Any]) -> None:
        try:
            await callback(self, interaction)
        except Exception as error:  # every error reaches the member, once
            await report_error(interaction, error)

    return wrapper


class Refused(app_commands.CheckFailure):
    """A run-time check said no; its text is shown to the member as it is."""


def describe_error(error: BaseException) -> tuple[str, bool]:
    """The member-facing text for an error, and whether it is unexpected (to be logged)."""
    original = getattr(error, "original", None) or error
    if isinstance(original, UserFacingError):
        return original.message, False
    if isinstance(original, Refused):
        return str(original), False
    if isinstance(original, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {original.retry_after:.0f} seconds.", False
    for kind, message in _CHECK_MESSAGES:
        if isinstance(original, kind):
            return message, False
    if isinstance(original, app_commands.TransformerError):
        return (
            "I couldn't understand one of the values you gave. Please check it and try again.",
            False,
        )
    if isinstance(original, app_commands.CheckFailure):
        return "You can't use that here.", False
    if isinstance(original, TimeoutError) or (
        isinstance(original, DBAPIError) and not isinstance(original, _OUR_MISTAKES)
    ):
        # Busy or unreachable database: nothing was half-done (one transaction per action).
        log.warning("The database was busy or unreachable (%s)", type(original).__name__)
        return DATABASE_BUSY, False
    error_id = secrets.token_hex(4)
    # Only the command's name and the error id: never options, content or user ids (R17).
    log.error("Unexpected error %s", error_id, exc_info=original)
    return (
        f"Sorry, something went wrong on my side. Nothing you did caused it. (error id {error_id})",
        True,
    )


UNKNOWN_INTERACTION = 10062


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    message, _ = describe_error(error)
    original = getattr(error, "original", None) or error
    if isinstance(original, discord.NotFound) and original.code == UNKNOWN_INTERACTION:
        # The 3-second window is gone; another request would only add to the invalid count.
        return
    try:
        await respond(interaction, message)
    except discord.NotFound:
        log.warning("Could not report an error: the interaction had expired")
    except discord.HTTPException as http_error:
        log.warning("Could not report an error to the member (HTTP %s)", http_error.status)


def _is_guild_only(
    command: app_commands.Command[Any, ..., Any] | app_commands.Group | None,
) -> bool:
    node: Any = command
    while node is not None:
        if getattr(node, "guild_only", False):
            return True
        node = node.parent
    return False


class MusterTree(app_commands.CommandTree["MusterBot"]):
    async def interaction_check(self, interaction: discord.Interaction[MusterBot]) -> bool:
        # Discord hides guild-only commands in DMs, but a client's stale command cache can
        # still send one; refuse it here too.
        command = interaction.command
        if (
            interaction.guild_id is None
            and isinstance(command, app_commands.Command)
            and _is_guild_only(command)
        ):
            await respond(interaction, NOT_IN_DMS)
            return False
        if interaction.context.private_channel and isinstance(command, app_commands.Command):
            # A DM or group DM through a user install: only what is registered for it.
            root = command.root_parent or command
            allowed = root.allowed_contexts
            if allowed is None or not allowed.private_channel:
                await respond(interaction, NOT_HERE)
                return False
        return True

    async def on_error(
        self, interaction: discord.Interaction[MusterBot], error: app_commands.AppCommandError
    ) -> None:
        command = interaction.command.qualified_name if interaction.command else "unknown"
        log.debug("Command %s failed: %s", command, type(error).__name__)
        await report_error(interaction, error)
