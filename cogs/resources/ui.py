"""Embeds and buttons for the resource directory and recovery meetings."""

from __future__ import annotations

from typing import Any

import discord

from bot.services.resources import (
    CATEGORIES,
    DAY_NAMES,
    ImportReport,
    RecoveryMeetingInfo,
    ResourceEntry,
    ResourcePage,
    skipped_summary,
)
from bot.tree import reporting, services_of
from bot.ui.embeds import CALM_BLUE, safe
from bot.ui.items import PageButton

FOOTER = "In crisis? Use /crisis. Muster lists resources; it gives no medical or legal advice."


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def entry_field(entry: ResourceEntry) -> tuple[str, str]:
    lines = [safe(way) if not way.startswith("http") else way for way in entry.ways_to_reach()]
    if entry.hours:
        lines.append(f"*{safe(entry.hours)}*")
    if entry.audience:
        lines.append(safe(entry.audience))
    if not entry.national:
        lines.append("*Added by this server's moderators*")
    name = f"{safe(entry.name)} ({entry.category_label})"
    return _cut(name, 256), _cut("\n".join(lines), 1024)


def entries_embed(
    title: str, entries: list[ResourceEntry], description: str | None = None
) -> discord.Embed:
    embed = discord.Embed(title=_cut(title, 256), description=description, colour=CALM_BLUE)
    for entry in entries:
        name, value = entry_field(entry)
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=FOOTER)
    return embed


def search_embed(
    query: str, entries: list[ResourceEntry], strong: bool, suggestion: str | None
) -> discord.Embed:
    shown = _cut(safe(query), 80)
    if strong:
        return entries_embed(f"Resources for “{shown}”", entries)
    hint = f"Did you mean **{safe(suggestion)}**? " if suggestion else ""
    if entries:
        description = f"{hint}I couldn't find a close match, so here are the nearest ones."
        return entries_embed(f"Resources for “{shown}”", entries, description)
    description = (
        f"{hint}I couldn't find anything for that. Try one word, like housing, legal or "
        "recovery, or use `/resource list` to browse."
    )
    return entries_embed(f"Nothing found for “{shown}”", [], description)


def page_embed(page: ResourcePage, category: str | None) -> discord.Embed:
    label = CATEGORIES.get(category, "All resources") if category else "All resources"
    embed = entries_embed(f"{label} ({page.total})", page.entries)
    embed.set_footer(text=f"Page {page.page + 1} of {page.pages}. {FOOTER}")
    return embed


class ResourcePageButton(PageButton, template=r"res:page:(?P<key>[a-z_]*):(?P<page>\d{1,4})"):
    """Previous/next on /resource list (the key: a category of CATEGORIES)."""

    PREFIX = "res:page"
    KEYS = CATEGORIES

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        resources = services_of(interaction).resources
        page = await resources.list_page(interaction.guild_id, self.key, self.page)
        await interaction.response.edit_message(
            embed=page_embed(page, self.key), view=page_view(page, self.key)
        )


def page_view(page: ResourcePage, category: str | None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        ResourcePageButton(
            category, max(page.page - 1, 0), label="Previous", disabled=page.page == 0
        )
    )
    view.add_item(
        ResourcePageButton(
            category, page.page + 1, label="Next", disabled=page.page >= page.pages - 1
        )
    )
    return view


def meetings_embed(day: int, meetings: list[RecoveryMeetingInfo], total: int) -> discord.Embed:
    title = f"Recovery meetings on {DAY_NAMES[day]}"
    if not meetings:
        return discord.Embed(
            title=title,
            description=(
                "No imported meetings match. Try another day, or leave out the time or type."
            ),
            colour=CALM_BLUE,
        )
    embed = discord.Embed(title=title, colour=CALM_BLUE)
    for meeting in meetings:
        embed.add_field(
            name=_cut(safe(meeting.name), 256),
            value=_cut(_meeting_lines(meeting), 1024),
            inline=False,
        )
    more = (
        f"Showing {len(meetings)} of {total}; add a time or type to narrow it down. "
        if total > len(meetings)
        else ""
    )
    embed.set_footer(text=f"{more}Times in your own time zone where the list gave one.")
    return embed


def _meeting_lines(meeting: RecoveryMeetingInfo) -> str:
    lines = []
    if meeting.next_start is not None:
        stamp = int(meeting.next_start.timestamp())
        lines.append(f"Next: <t:{stamp}:F> (<t:{stamp}:R>)")
    elif meeting.start_time:
        ends = f" to {meeting.end_time}" if meeting.end_time else ""
        lines.append(f"{meeting.start_time}{ends}, local time where the meeting is held")
    if meeting.type_names:
        lines.append("Type: " + ", ".join(meeting.type_names))
    if meeting.conference_url:
        lines.append(f"Online: {meeting.conference_url}")
    if meeting.conference_phone:
        lines.append(f"By phone: {safe(meeting.conference_phone)}")
    place = ", ".join(safe(part) for part in (meeting.location, meeting.address) if part)
    if place:
        lines.append(f"Where: {place}")
    if meeting.notes:
        lines.append(_cut(safe(meeting.notes), 200))
    return "\n".join(lines) or "No details given."


def import_report_text(report: ImportReport) -> str:
    named = "" if report.feed == report.source else f" as the list “{safe(report.feed)}”"
    text = f"Imported {safe(report.source)}{named}: {report.added} new, {report.updated} updated."
    if report.removed:
        text += f" Removed {report.removed} that the list no longer has."
    if report.other_feeds:
        shown = ", ".join(f"“{safe(name)}”" for name in report.other_feeds[:10])
        more = f" and {len(report.other_feeds) - 10} more" if len(report.other_feeds) > 10 else ""
        text += f"\nThe meetings from your other lists are kept: {shown}{more}."
    if report.skipped:
        text += f"\nSkipped {len(report.skipped)}. " + safe(skipped_summary(report.skipped))
    return _cut(text, 2000)
