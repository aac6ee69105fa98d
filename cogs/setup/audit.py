"""/mod audit: what moderators did, in sentences, a page at a time."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

import discord

from bot.checks import ensure_moderator, guild_of
from bot.services.audit import AREAS, AuditPage, AuditRecord
from bot.tree import reporting, services_of
from bot.ui.embeds import CALM_BLUE, safe
from bot.ui.items import PageButton

# What a moderator did, in words; the stored keys ("setup.crisis_alerts") stay for the log.
ACTION_WORDS = {
    "resources.add": "added the resource",
    "resources.edit": "edited the resource",
    "resources.remove": "removed the resource",
    "resources.hide": "hid the resource",
    "resources.unhide": "showed again the resource",
    "resources.import": "imported the meeting list",
    "meetings.create": "scheduled the meeting",
    "meetings.edit": "changed the meeting",
    "meetings.skip": "skipped one date of the meeting",
    "meetings.cancel": "cancelled the meeting",
    "posts.remove": "removed",
    "posts.block": "paused the",
}
SETTING_VALUES = {"True": "on", "False": "off"}


def audit_line(record: AuditRecord) -> str:
    """One audit entry as a sentence: who, when, what, and any change from one value to
    another ("from on to off"), never a raw key."""
    stamp = int(record.created_at.timestamp())
    target = safe(record.target)
    detail = record.detail
    if record.action.startswith("setup."):
        words = f"changed the {target}"
        if detail and " -> " in detail:
            before, after = (SETTING_VALUES.get(v, v) for v in detail.split(" -> ", 1))
            detail = f"from {before} to {after}"
    else:
        words = f"{ACTION_WORDS.get(record.action, record.action.replace('.', ' '))} {target}"
        if record.action == "meetings.skip" and detail:
            with contextlib.suppress(ValueError):
                detail = f"<t:{int(datetime.fromisoformat(detail).timestamp())}:F>"
    shown = f": {detail}" if detail else ""
    return f"<t:{stamp}:f> <@{record.actor_id}> {words}{shown}"


def audit_embed(page: AuditPage, area: str | None) -> discord.Embed:
    label = AREAS.get(area, "Everything") if area else "Everything"
    embed = discord.Embed(title=f"Moderator actions: {label}", colour=CALM_BLUE)
    if not page.entries:
        embed.description = "Nothing recorded yet."
    lines = []
    for entry in page.entries:
        lines.append(audit_line(entry))
    if lines:
        embed.description = "\n".join(lines)[:4096]
    embed.set_footer(
        text=f"Page {page.page + 1} of {page.pages}, {page.total} in all. Newest first."
    )
    return embed


class AuditPageButton(PageButton, template=r"audit:page:(?P<key>[a-z]*):(?P<page>\d{1,5})"):
    """Paging through /mod audit (the key: an area of AREAS). Moderators only, checked on every
    click."""

    PREFIX = "audit:page"
    KEYS = AREAS

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await ensure_moderator(interaction)
        await interaction.response.defer()
        page = await services_of(interaction).audit.page(guild_of(interaction), self.key, self.page)
        await interaction.edit_original_response(
            embed=audit_embed(page, self.key), view=audit_view(page, self.key)
        )


def audit_view(page: AuditPage, area: str | None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        AuditPageButton(area, max(page.page - 1, 0), label="Newer", disabled=page.page == 0)
    )
    view.add_item(
        AuditPageButton(area, page.page + 1, label="Older", disabled=page.page >= page.pages - 1)
    )
    return view
