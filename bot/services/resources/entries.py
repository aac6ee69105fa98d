"""The directory's entries without the database: the categories and their synonyms, an entry,
a moderator's draft, a page, and the national entries shipped as data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources as package_files

from bot.errors import UserFacingError
from bot.services.resources.search import Searchable
from bot.services.text import clean_text, optional_text, phone_number, web_address

CATEGORIES: dict[str, str] = {
    "crisis": "Crisis lines",
    "va": "VA health and benefits",
    "vet_centers": "Vet Centers and counseling",
    "housing": "Housing and homelessness",
    "legal": "Legal and justice",
    "recovery": "Substance use and recovery",
    "family": "Family and caregivers",
    "local": "Local help",
}

# Words members type, and what they should reach: a #category, or a word entries use.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "suicide": ("#crisis",),
    "suicidal": ("#crisis",),
    "kill": ("#crisis",),
    "die": ("#crisis",),
    "emergency": ("#crisis",),
    "hopeless": ("#crisis",),
    "homeless": ("#housing",),
    "homelessness": ("#housing",),
    "shelter": ("#housing",),
    "evicted": ("#housing",),
    "eviction": ("#housing",),
    "rent": ("#housing",),
    "lawyer": ("#legal",),
    "attorney": ("#legal",),
    "court": ("#legal",),
    "jail": ("#legal",),
    "arrested": ("#legal",),
    "drinking": ("#recovery",),
    "alcohol": ("#recovery",),
    "drunk": ("#recovery",),
    "drugs": ("#recovery",),
    "relapse": ("#recovery",),
    "sober": ("#recovery",),
    "addiction": ("#recovery",),
    "caregiver": ("#family",),
    "wife": ("#family",),
    "husband": ("#family",),
    "spouse": ("#family",),
    "kids": ("#family",),
    "therapy": ("counseling",),
    "therapist": ("counseling",),
    "counselor": ("counseling",),
    "ptsd": ("counseling",),
    "doctor": ("health",),
    "medication": ("health",),
    "disability": ("benefits",),
}
MAX_GUILD_RESOURCES = 500
STRONG_MATCH = 0.45
RELEVANT_FRACTION = 0.5
# How stale another process's edit may look here. This process's own edits show at once.
VERSION_RECHECK = timedelta(seconds=1)
NATIONAL_PREFIX = "national:"
GUILD_PREFIX = "guild:"


@dataclass(frozen=True)
class ResourceEntry:
    key: str
    name: str
    category: str
    phone: str | None = None
    # Replaces "Call <phone>" where calling takes more than dialling ("Dial 988 then press 1").
    call_instruction: str | None = None
    # Shown after the number: a vanity spelling or a TTY line.
    phone_note: str | None = None
    text: str | None = None
    chat: str | None = None
    web: str | None = None
    hours: str | None = None
    audience: str | None = None
    keywords: tuple[str, ...] = ()
    source: str | None = None
    last_checked: str | None = None

    @property
    def national(self) -> bool:
        return self.key.startswith(NATIONAL_PREFIX)

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    def ways_to_reach(self, *, include_web: bool = True) -> list[str]:
        ways = []
        if self.phone:
            note = f" ({self.phone_note})" if self.phone_note else ""
            ways.append((self.call_instruction or f"Call {self.phone}") + note)
        if self.text and self.text != self.phone:
            ways.append(f"Text {self.text}")
        if self.chat:
            # The full https address: Discord makes only a link with its scheme tappable.
            ways.append(f"Chat online: {self.chat}")
        if self.web and include_web:
            ways.append(self.web)
        return ways


@dataclass(frozen=True)
class ResourceDraft:
    """What a moderator typed; validated by `clean()`."""

    name: str
    category: str
    phone: str | None = None
    text_number: str | None = None
    web: str | None = None
    details: str | None = None

    def clean(self) -> ResourceDraft:
        if self.category not in CATEGORIES:
            raise UserFacingError("Please choose one of the listed categories.")
        cleaned = ResourceDraft(
            name=clean_text(self.name, field="Name", max_length=100),
            category=self.category,
            phone=phone_number(self.phone, field="Phone"),
            text_number=phone_number(self.text_number, field="Text number"),
            web=web_address(self.web, field="Website"),
            details=optional_text(self.details, field="Details", max_length=1000, multiline=True),
        )
        if not (cleaned.phone or cleaned.text_number or cleaned.web):
            raise UserFacingError(
                "Please give at least one way to reach it: a phone, a text number or a website."
            )
        return cleaned


@dataclass(frozen=True)
class SearchResult:
    entries: list[ResourceEntry]
    strong: bool
    suggestion: str | None


@dataclass(frozen=True)
class ResourcePage:
    entries: list[ResourceEntry]
    page: int
    pages: int
    total: int


@cache
def national_resources() -> tuple[ResourceEntry, ...]:
    """The shipped national directory; read once, never from the database."""
    raw = json.loads(
        package_files.files("bot.data").joinpath("national_resources.json").read_text("utf-8")
    )
    entries = []
    for item in raw["resources"]:
        entries.append(
            ResourceEntry(
                key=NATIONAL_PREFIX + item["key"],
                name=item["name"],
                category=item["category"],
                phone=item.get("phone"),
                call_instruction=item.get("call_instruction"),
                phone_note=item.get("phone_note"),
                text=item.get("text"),
                chat=item.get("chat"),
                web=item.get("web"),
                hours=item.get("hours"),
                audience=item.get("audience"),
                keywords=tuple(item.get("keywords", ())),
                source=item.get("source"),
                last_checked=item.get("last_checked"),
            )
        )
    return tuple(entries)


def searchable(entry: ResourceEntry) -> Searchable:
    category_words = f"{entry.category.replace('_', ' ')} {entry.category_label}"
    return Searchable(
        entry.key,
        (
            (entry.name, 3.0),
            (category_words, 2.0),
            (" ".join(entry.keywords), 2.0),
            (entry.audience or "", 1.0),
        ),
        tags=(entry.category,),
    )
