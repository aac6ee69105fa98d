"""What Muster tells members about itself: what it stores, who can see it, what it is not.

Keep this honest: every capability that stores something adds its line here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    title: str
    body: str


ABOUT_INTRO = (
    "Muster helps a peer-support group stay in touch: check-ins, reminders you can trust, "
    "and the right resource fast."
)

ABOUT_SECTIONS: tuple[Section, ...] = (
    Section(
        "What Muster stores",
        "The servers it is in, their settings, resource lists and meetings. About you, only "
        "what you give it: check-ins, your medication log and sobriety counter, reminders, "
        "your time zone and meeting RSVPs. Notes and logs are encrypted. Moderators' actions "
        "are kept in an audit log.",
    ),
    Section(
        "Who can see it",
        "Your private entries are yours alone. Moderators see what is posted in the group, "
        "never who wrote an anonymous post. The people who run this bot hold the keys "
        "that protect stored notes.",
    ),
    Section(
        "What Muster is not",
        "Muster is not a clinician and gives no medical, legal or dosing advice. "
        "Talk to your provider before any change to your care.",
    ),
)


PRIVACY_SECTIONS: tuple[Section, ...] = (
    Section(
        "What Muster keeps about you",
        "Only what you give it: your check-ins (notes encrypted), your medication log, taper "
        "plan and symptom checks (encrypted) and sobriety counter, your reminders (text "
        "encrypted), daily prompt time, time zone, meeting RSVPs, and the optional "
        "questionnaires you turn on in `/measures` (answers and scores encrypted). "
        "A check-in, an anonymous post and your logs carry your "
        "id only encrypted, differently on every row, and a check-in's time only as its week. "
        "If a DM to you fails, it notes that your DMs are closed, so it doesn't keep trying.",
    ),
    Section(
        "For how long",
        "Check-ins, their notes and anonymous posts, and meeting answers are deleted after "
        "your server's retention period (180 days unless a moderator changed it; see "
        "`/setup show`). Reminders go 30 days after their date. Your medication log, taper "
        "plan, symptom checks and sobriety counter stay until you delete them. Questionnaire "
        "scores go after a year, and one left unfinished after a day. When a server removes "
        "Muster, its "
        "shared posts are deleted 30 days later. `/mydata delete` removes everything about "
        "you at once.",
    ),
    Section(
        "Who can see what",
        "Private check-ins, your history, reports, medication log, reminders and settings "
        "are yours alone. The group sees only what you share. Nobody, moderators included, "
        "can see who wrote an anonymous post: it shows a name that changes every week, and "
        "the day, not the time, and appears a few minutes later (the delay is in your "
        "confirmation). Moderators can remove a post and pause its author without learning "
        'who it is. Mentors learn your name only if you press "ask a peer mentor"; a post '
        "of yours that is waiting then, or that you share in the four hours after, appears "
        "an hour or more later, so the two can't be connected. The "
        "weekly summary counts anonymous posts only, and only when enough members posted.",
    ),
    Section(
        "Who could learn what",
        "**Other members, moderators, the server owner:** only what is in the channels. "
        "**Discord** carries every button you press, so it knows you used Muster. "
        "**Someone with a copy of the database** can't tell whose a check-in or post is. "
        "**The people who run this bot** hold the keys, so they could read what is stored; "
        "Muster stores as little as it can. Something only you would write can still give "
        "you away. The full threat model is in Muster's docs/threat-model.md.",
    ),
    Section(
        "Not a medical service",
        "Muster is not a clinician and gives no medical, legal or dosing advice. The "
        "medication log and taper plan record what your prescriber decided; they never "
        "suggest changes.",
    ),
    Section(
        "Your data, your call",
        "`/mydata export` sends you everything Muster keeps about you. `/mydata delete` "
        "erases it, after you confirm.",
    ),
)
