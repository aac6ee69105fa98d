"""What reminders say: the DM's embed, a line of /remind list, and why one was late or missed."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import discord

from bot.scheduling import (
    DISCORD_UNAVAILABLE,
    DMS_CLOSED,
    INVALID_BODY,
    LATE,
    MISSING_PERMISSION,
    NETWORK,
    RATE_LIMITED,
    UNEXPECTED,
    UNKNOWN_CHANNEL,
)
from bot.services.reminders import KINDS, ReminderInfo, ReminderMessage
from bot.ui.embeds import CALM_BLUE, safe

# The stored text could not be decrypted (R28): the reminder still comes, saying so.
UNREADABLE_REMINDER = "You have a reminder now (its text could not be read)."


# What /remind list says about a reminder that didn't reach the member, by its real cause.
WHAT_HAPPENED = {
    DMS_CLOSED: "Couldn't be delivered: your DMs are closed to me.",
    RATE_LIMITED: "Didn't reach you: Discord was having trouble and I couldn't get it to you "
    "before the time passed. I'm sorry.",
    DISCORD_UNAVAILABLE: "Didn't reach you: Discord was having trouble and I couldn't get it "
    "to you before the time passed. I'm sorry.",
    NETWORK: "Didn't reach you: I couldn't reach Discord before the time passed. I'm sorry.",
    UNEXPECTED: "Didn't reach you: something went wrong on my side before the time passed. "
    "I'm sorry.",
    LATE: "Missed: I was offline when it was due.",
    MISSING_PERMISSION: "Couldn't be delivered: Discord wouldn't let me send it.",
    UNKNOWN_CHANNEL: "Couldn't be delivered: Discord couldn't find where to send it.",
    INVALID_BODY: "Couldn't be delivered: Discord wouldn't accept it.",
}
UNKNOWN_PROBLEM = "Didn't reach you, I'm sorry."
STILL_TRYING = "Running late: I couldn't reach you through Discord yet, and I'm still trying."
CAUGHT_UP_NOTE = "Reached you late: I sent the latest one and folded the earlier ones into it."
# The late note on a DM, by why the last try failed; no failed try means Muster was offline.
WHY_LATE = {
    RATE_LIMITED: "Discord was having trouble, so I couldn't send it sooner.",
    DISCORD_UNAVAILABLE: "Discord was having trouble, so I couldn't send it sooner.",
    NETWORK: "I couldn't reach Discord until now.",
    UNEXPECTED: "Something went wrong on my side, and I couldn't send it sooner.",
}
OFFLINE = "I was offline."


def lead_words(minutes: int) -> str:
    if minutes == 0:
        return "at the time"
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "1 day before" if days == 1 else f"{days} days before"
    hours = minutes // 60
    return "1 hour before" if hours == 1 else f"{hours} hours before"


def reminder_line(reminder: ReminderInfo) -> str:
    stamp = int(reminder.event_at.timestamp())
    line = f"**{KINDS[reminder.kind]}**: {safe(reminder.text)}\n<t:{stamp}:F> (<t:{stamp}:R>)"
    if reminder.next_due is not None:
        line += f"\nNext reminder <t:{int(reminder.next_due.timestamp())}:R>"
    if reminder.retrying is not None:
        line += "\n" + STILL_TRYING
    if reminder.undelivered or reminder.missed:
        line += "\n" + WHAT_HAPPENED.get(reminder.cause or "", UNKNOWN_PROBLEM)
    elif reminder.caught_up:
        line += "\n" + CAUGHT_UP_NOTE
    return line


def reminder_embed(message: ReminderMessage) -> discord.Embed:
    stamp = int(message.event_at.timestamp())
    when = (
        "now"
        if message.lead_minutes == 0
        else lead_words(message.lead_minutes).replace(" before", " to go")
    )
    embed = discord.Embed(
        title=f"{KINDS[message.kind]}: {when}",
        description=UNREADABLE_REMINDER if message.text is None else safe(message.text),
        colour=CALM_BLUE,
    )
    embed.add_field(name="When", value=f"<t:{stamp}:F> (<t:{stamp}:R>)", inline=False)
    if message.plan_prompt:
        embed.add_field(
            name="Make a plan",
            value=(
                "How will you get there, and when will you leave? "
                "Set a reminder for the time to leave."
            ),
            inline=False,
        )
    if message.late_since is not None:
        # A footer shows no <t:...> stamps: the time is written out in the member's zone.
        due = message.late_since.astimezone(ZoneInfo(message.timezone))
        embed.set_footer(
            text=f"Sorry, this is late: it should have reached you at "
            f"{due:%-I:%M %p} on {due:%A, %B %-d} ({message.timezone}). "
            + WHY_LATE.get(message.late_cause or "", OFFLINE)
        )
    return embed
