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
        "what you give it: your reminders (their text encrypted), your time zone, and your "
        "answers to meeting RSVPs. Moderators' actions are kept in an audit log.",
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
        "Only what you give it: your reminders (their text encrypted), your time zone, and "
        "your answers to meeting RSVPs. If a DM to you fails, it notes that your DMs are "
        "closed, so it doesn't keep trying.",
    ),
    Section(
        "For how long",
        "Reminders are deleted 30 days after their date; meeting answers after your server's "
        "retention period. When a server removes Muster, its data is deleted 30 days later. "
        "`/mydata delete` removes everything about you at once.",
    ),
    Section(
        "Who can see what",
        "Your reminders and settings are yours alone. Moderators see what is posted in the "
        "group and a log of what moderators did; nobody, moderators included, can see who "
        "wrote an anonymous post. The people who run this bot hold the keys that protect "
        "stored text.",
    ),
    Section(
        "Not a medical service",
        "Muster is not a clinician and gives no medical, legal or dosing advice.",
    ),
    Section(
        "Your data, your call",
        "`/mydata export` sends you everything Muster keeps about you. `/mydata delete` "
        "erases it, after you confirm.",
    ),
)
