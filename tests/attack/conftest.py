"""The red team's tests: attacks on Muster's promises, each failing while its promise is broken.

An attack that still succeeds is listed in KNOWN_BREAKS and runs as a strict xfail, so the
suite stays green while the break is open and goes red the day it is fixed: then delete its
entry. Message ids follow the test's own clock, as in test_attacker.
"""

from __future__ import annotations

import pytest

from tests.conftest import ON_POSTGRES
from tests.test_attacker import ids_on_the_test_clock

__all__ = ["ids_on_the_test_clock"]

KNOWN_BREAKS: dict[str, str] = {
    "test_a_waiting_rows_week_label_does_not_show_it_was_held_past_midnight_on_sunday": (
        "a waiting row's week is in the clear: one still labelled last week, more than twice "
        "the delay into the new one, was held back (round 5)"
    ),
    "test_the_release_in_a_dump_does_not_show_a_requesters_waiting_post_was_kept_private": (
        "a post kept private at a request rebooks the release IDLE from the request's very "
        "moment: due_at - 1 day == mentor_requests.created_at (round 5)"
    ),
}


# Seen on PostgreSQL only, and not on every run (a race), so not strict.
KNOWN_BREAKS_ON_POSTGRES: dict[str, str] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        reason = KNOWN_BREAKS.get(item.name)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"known break: {reason}"))
        race = KNOWN_BREAKS_ON_POSTGRES.get(item.name) if ON_POSTGRES else None
        if race is not None:
            item.add_marker(pytest.mark.xfail(strict=False, reason=f"known break: {race}"))
