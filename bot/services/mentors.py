"""Asking a peer mentor to reach out: one alert per member and server in a while.

The button sits on a private reply a member may press more than once; mentors should get
one alert, and the member a kind word that the first is on its way. Kept in memory: after a
restart, one more alert is the worst that can happen.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import Clock

ASK_AGAIN_AFTER = timedelta(minutes=30)


class MentorRequests:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._asked: dict[tuple[int, int], datetime] = {}

    def first_ask(self, guild_id: int, user_id: int) -> bool:
        """True if mentors should be alerted now; False if they were just told."""
        now = self._clock.now()
        self._asked = {key: at for key, at in self._asked.items() if now - at < ASK_AGAIN_AFTER}
        if (guild_id, user_id) in self._asked:
            return False
        self._asked[(guild_id, user_id)] = now
        return True

    def forget(self, guild_id: int, user_id: int) -> None:
        """The alert could not be sent: let the next press try again."""
        self._asked.pop((guild_id, user_id), None)
