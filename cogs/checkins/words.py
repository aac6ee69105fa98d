"""The words the check-in commands use: their choices, and what they say."""

from __future__ import annotations

from discord import app_commands

from bot.services.charts import NO_ADVICE, summary_lines
from bot.services.checkins import CRAVINGS, MOODS, SHARES, SOBER, Period
from bot.ui.embeds import safe

MOOD_CHOICES = [app_commands.Choice(name=f"{n} · {w}", value=n) for n, w in MOODS.items()]
CRAVING_CHOICES = [app_commands.Choice(name=w, value=k) for k, w in CRAVINGS.items()]
SOBER_CHOICES = [app_commands.Choice(name=w, value=k) for k, w in SOBER.items()]
SHARE_CHOICES = [app_commands.Choice(name=w, value=k) for k, w in SHARES.items()]
MILESTONE_CHOICES = [
    app_commands.Choice(name="Keep them to myself", value="none"),
    app_commands.Choice(name="Celebrate in the group anonymously", value="anonymous"),
    app_commands.Choice(name="Celebrate in the group with my name", value="named"),
]
PACKET_NAME_CHOICES = [
    app_commands.Choice(name="My initials", value="initials"),
    app_commands.Choice(name="My name", value="name"),
]
SLEEP_SUGGESTIONS = ["poor", "ok", "good", "4", "5", "6", "7", "8", "9", "10"]
NO_GROUP = (
    "I couldn't find a server of yours that I'm in, so there's no group to share with. "
    "Everything private still works here."
)
SOME_UNREADABLE = (
    "Some of your notes could not be read with the keys I have now, so they show as "
    "“(text could not be read)”. Everything else is here."
)


def report_text(period: Period) -> str:
    """The DM that comes with `/checkin report`'s files."""
    first, today, changes = period.first, period.today, period.changes
    lines = [
        f"**Your check-in report, {first:%B %-d} to {today:%B %-d, %Y}** ({period.zone})",
        "",
    ]
    lines += summary_lines(period.summary)
    if changes:
        lines += ["", "Medication changes you recorded:"]
        lines += [
            f"- {c.changed_on:%b %-d, %Y}: {safe(c.medication)} {safe(c.dose)}" for c in changes
        ]
    if period.unreadable:
        lines += ["", SOME_UNREADABLE]
    lines += ["", f"_{NO_ADVICE}_"]
    return "\n".join(lines)[:2000]
