"""Kinds of delivery: each knows its name and writes and reads its own source keys.

A delivery's `kind` names the sender that delivers it; its `source` names what it is for
("reminder:12"). (source, due_at) is unique, a missed run of one source folds into its
latest, and cancelling a source ends every delivery of it. Both strings are stored, so a
layout is written once, by its Kind, and never changed: a changed prefix would strand every
delivery already booked (tests/test_kinds.py lists the stored prefixes literally).

The kinds themselves belong to their features (REMINDER in bot.services.reminders, ...);
this module holds what they share. A feature whose sources have more than an id defines its
own Kind beside it (MeetingKind, MilestoneKind, ReleaseKind).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SEPARATOR = ":"


class SourceError(ValueError):
    """A source that is not of the kind asked to read it, or not laid out as it writes them."""


@dataclass(frozen=True)
class Kind:
    """`name`: the `kind` column, which picks the sender; `prefix`: what its sources begin
    with, before the first ":". Two kinds may share a prefix (a mentor request's post and its
    follow-up share one source, so one cancel ends both)."""

    name: str
    prefix: str

    def __post_init__(self) -> None:
        if not self.name or not self.prefix or SEPARATOR in self.prefix:
            raise ValueError(f"a kind needs a name and a prefix without {SEPARATOR!r}")

    @property
    def start(self) -> str:
        """What every source of this kind begins with."""
        return self.prefix + SEPARATOR

    def owns(self, source: str) -> bool:
        return source.startswith(self.start)

    def build(self, *fields: object) -> str:
        return SEPARATOR.join((self.prefix, *(str(field) for field in fields)))

    def fields(self, source: str, count: int) -> list[str]:
        """The `count` fields after the prefix, or SourceError."""
        if not self.owns(source):
            raise SourceError(f"{source!r} is not a source of the {self.name!r} kind")
        fields = source[len(self.start) :].split(SEPARATOR)
        if len(fields) != count:
            raise SourceError(f"{source!r} has {len(fields)} fields, not {count}")
        return fields

    def describe(self) -> str:
        return f"{self.name!r} (sources {self.start}...)"


@dataclass(frozen=True)
class RowKind(Kind):
    """Sources "<prefix>:<id>": one per row of the feature (a reminder, a prompt, a step)."""

    def source(self, row_id: int) -> str:
        return self.build(int(row_id))

    def sources(self, row_ids: Iterable[int]) -> list[str]:
        return [self.source(row_id) for row_id in row_ids]

    def parse(self, source: str) -> int:
        """The row's id."""
        (row_id,) = self.fields(source, 1)
        return int(row_id)


@dataclass(frozen=True)
class JobKind(Kind):
    """One source only, "<prefix>:<job>": a housekeeping job that books its own next run."""

    job: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.job or SEPARATOR in self.job:
            raise ValueError(f"a job needs a name without {SEPARATOR!r}")

    def source(self) -> str:
        return self.build(self.job)
