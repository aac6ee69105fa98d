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
    "test_a_step_dm_comes_at_nine_on_its_date_in_the_zone_the_member_moved_to": (
        "issue #14: /settings timezone leaves a booked step reminder on the old zone's 09:00"
    ),
    "test_a_step_edited_after_discord_took_its_dm_is_not_dmed_again": (
        "issue #14: an edit cancels an uncertain step DM and books a new one now: DMed twice"
    ),
    "test_a_step_edited_while_its_dm_is_in_flight_is_dmed_once": (
        "issue #14: an edit while the step DM is in flight books a second one now: DMed twice"
    ),
    "test_a_question_removal_retried_after_its_answer_was_lost_removes_one_question": (
        "issue #14: questions are removed by position, so a retried removal removes the next one"
    ),
    "test_a_court_reminder_whose_answer_was_lost_before_a_restart_is_not_dmed_twice": (
        "issue #13: after a restart the new process's gap-free watch of its own tries is "
        "taken as proof: an answer-lost DM from before the restart is DMed twice"
    ),
    "test_a_meeting_reminder_whose_answer_was_lost_before_a_restart_is_not_posted_twice": (
        "issue #13: after a restart the watch skips the history look (Read Message History "
        "granted): an answer-lost meeting reminder is posted twice"
    ),
    "test_a_meeting_reminder_claimed_but_never_started_at_a_clean_stop_is_posted": (
        "issue #13: a claim a clean stop never started is taken over as maybe sent: settled "
        "unconfirmed without Read Message History, never posted"
    ),
    "test_the_author_of_an_unconfirmed_anonymous_post_is_not_told_it_wont_be_posted": (
        "issue #13: Delete my post on an unconfirmed (posted, no message id) post says "
        "'it won't be posted' while it is up"
    ),
    "test_a_moderator_can_remove_an_unconfirmed_anonymous_post_from_its_options": (
        "issue #13: an unconfirmed post has no message id: its Options say 'couldn't find', "
        "no Remove"
    ),
    "test_a_meeting_reminder_retried_from_another_shards_process_is_not_posted_twice": (
        "issue #13: from a process not serving the server the no-history check is skipped; "
        "Discord's empty history reads as not sent: posted twice"
    ),
}


# Seen on PostgreSQL only, and not on every run (a race), so not strict.
KNOWN_BREAKS_ON_POSTGRES: dict[str, str] = {
    "test_two_questions_added_at_once_keep_the_list_to_its_limit": (
        "issue #14: the 10-question limit is read and written without a lock: 11 questions"
    ),
    "test_two_steps_added_at_once_keep_the_plan_to_its_limit": (
        "issue #14: the 60-step limit is read and written without a lock: 61 steps"
    ),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        reason = KNOWN_BREAKS.get(item.name)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"known break: {reason}"))
        race = KNOWN_BREAKS_ON_POSTGRES.get(item.name) if ON_POSTGRES else None
        if race is not None:
            item.add_marker(pytest.mark.xfail(strict=False, reason=f"known break: {race}"))
