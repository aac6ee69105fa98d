"""How a failed Discord send maps to the scheduler's outcomes (R9, R10, R27): one place for it.

Only an answer that retrying cannot change ends a delivery early: 403 (50007 DMs closed,
50013 missing permission), 404 (unknown channel) and other 4xx such as 400 (invalid body).
429, 5xx, timeouts and network failures are transient: the scheduler retries them with
back-off until the kind's deadline, and records the real cause if that passes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import aiohttp
import discord

from bot.ratelimit import SEND_ANSWERS, NothingSent
from bot.scheduling import (
    DISCORD_UNAVAILABLE,
    DMS_CLOSED,
    INVALID_BODY,
    MISSING_PERMISSION,
    NETWORK,
    NONCE_TRUST,
    RATE_LIMITED,
    UNCONFIRMED,
    UNKNOWN_CHANNEL,
    Delivery,
    Due,
)

# Everything a send can raise that says something about the send itself. (RateLimited: a
# 429 asking for a longer wait than the client sleeps through, MAX_RATELIMIT_SLEEP.)
SEND_ERRORS = (
    discord.HTTPException,
    discord.RateLimited,
    aiohttp.ClientError,
    TimeoutError,
    OSError,
)
CANNOT_DM = 50007
# The longest 429 wait discord.py may sleep through inside a send (its minimum is 30 s):
# a longer one is raised as RateLimited and settled by the scheduler, which knows the
# delivery's deadline and never holds a claim that long.
MAX_RATELIMIT_SLEEP = 30.0
# A send someone is waiting on right now (the crisis card, a mentor request) is tried this
# many times, a moment apart, when the connection is cut or Discord has a hiccup.
QUICK_ATTEMPTS = 3
QUICK_PAUSE = 0.5
# A scheduled send (with its look in the channel, if it makes one) still unanswered after
# this long is given up as a timeout and retried: one hung connection must not hold the
# delivery, or its claim, for ever. Well inside the scheduler's lease.
SEND_TIMEOUT = 30.0
# How far back of the first uncertain attempt to look, for clocks that disagree a little
# (ours, Discord's), and how many messages at most to read.
HISTORY_SLACK = timedelta(minutes=1)  # as much as Muster lets its own clock step unnoticed
HISTORY_LIMIT = 300
# The bot's own messages seen on the gateway, kept by nonce for this long (and at most this
# many): long past Discord's nonce window, for retries of sends whose answer was lost.
OWN_SENDS_KEPT_SECONDS = 2 * 3600.0
OWN_SENDS_MOST = 5000

log = logging.getLogger(__name__)
T = TypeVar("T")


def send_failure(error: BaseException, *, deadline: datetime | None = None) -> Delivery:
    """The outcome of a send that raised `error`; transient ones retry until `deadline`."""
    if isinstance(error, discord.RateLimited):
        wait = timedelta(seconds=error.retry_after)
        answer = f"Discord asked to wait {error.retry_after:.0f} s"
        return Delivery(
            "retry", answer, RATE_LIMITED, deadline=deadline, wait=wait,
            sent_nothing=isinstance(error, NothingSent),
        )  # fmt: skip
    if isinstance(error, discord.HTTPException):
        answer = f"Discord answered {error.status} ({error.code})"
        if error.status == 429:
            return Delivery("retry", answer, RATE_LIMITED, deadline=deadline)
        if error.status >= 500:
            return Delivery("retry", answer, DISCORD_UNAVAILABLE, deadline=deadline)
        if isinstance(error, discord.Forbidden):
            cause = DMS_CLOSED if error.code == CANNOT_DM else MISSING_PERMISSION
        elif isinstance(error, discord.NotFound):
            cause = UNKNOWN_CHANNEL
        else:
            cause = INVALID_BODY
        return Delivery("failed_permanent", f"Discord refused it: {answer}", cause)
    return Delivery("retry", f"network: {type(error).__name__}", NETWORK, deadline=deadline)


class Unconfirmed(Exception):
    """An earlier attempt may have posted this delivery's message in a server channel, and
    nothing can tell: Discord may have forgotten the nonce, the gateway watch had a gap, and
    the channel's history can't be read. It is not sent again (the group would see it
    twice); `outcome` settles it as sent, unconfirmed. DMs never raise it: the bot can read
    its DMs, and a second copy of a reminder there is better than none."""

    def __init__(self, occurrence_id: int, channel: str, why: str) -> None:
        super().__init__(f"occurrence {occurrence_id} in {channel}: {why}")
        self.occurrence_id = occurrence_id
        self.channel = channel
        self.why = why

    @property
    def outcome(self) -> Delivery:
        return Delivery(
            "sent",
            f"may have gone out (its answer was lost); not sent again, since {self.why} in "
            f"{self.channel} to check",
            UNCONFIRMED,
        )


class DmsRecord(Protocol):
    """Where a member's DMs are noted as closed (Discord's 50007) or open again: the
    member-settings service."""

    async def mark_dms_closed(self, user_id: int) -> None: ...

    async def mark_dms_open(self, user_id: int) -> None: ...


async def send_outcome(
    send: Callable[[], Awaitable[discord.Message]],
    *,
    deadline: datetime | None = None,
    dm_to: int | None = None,
    dms: DmsRecord | None = None,
) -> Delivery:
    """The one way a scheduled delivery turns its send into an outcome: Delivery("sent",
    message_id=...) if `send()` went out, else the failure it raised (send_failure; transient
    ones retry until `deadline`; Unconfirmed: sent, unconfirmed, with no message). For a DM
    to member `dm_to`, the closed-DMs rule: a 50007 is noted in `dms` (so nothing retries,
    and they are told at their next interaction), and a DM that went out notes their DMs
    open again."""
    if (dm_to is None) != (dms is None):
        raise TypeError("send_outcome: give dm_to and dms together")
    try:
        message = await send()
    except Unconfirmed as unknown:
        return unknown.outcome
    except SEND_ERRORS as error:
        if dms is not None and dm_to is not None and dms_closed(error):
            await dms.mark_dms_closed(dm_to)
        return send_failure(error, deadline=deadline)
    if dms is not None and dm_to is not None:
        try:
            await dms.mark_dms_open(dm_to)
        except Exception:  # a note for later: the send itself is done and must not repeat
            log.exception("Could not note that a member's DMs are open again")
    return Delivery("sent", message_id=message.id)


def dms_closed(error: BaseException) -> bool:
    """Whether Discord refused a DM because the member's DMs are closed to the bot."""
    return isinstance(error, discord.Forbidden) and error.code == CANNOT_DM


def is_transient(error: BaseException) -> bool:
    """Whether trying the same send again could work: a cut or timed-out connection, a 5xx.
    A refusal (4xx) is final; so is a 429 that asked for a long wait (RateLimited)."""
    if isinstance(error, discord.HTTPException):
        return error.status >= 500
    return isinstance(error, SEND_ERRORS) and not isinstance(error, discord.RateLimited)


async def send_soon(send: Callable[[], Awaitable[T]]) -> T:
    """`send()`, tried again a moment later if it fails in a way that may pass; the last
    error is raised. A send Discord carried out before the connection dropped lands twice
    unless it carries a nonce, so give one wherever a second copy would hurt."""
    for attempt in range(1, QUICK_ATTEMPTS):
        try:
            return await send()
        except SEND_ERRORS as error:
            if not is_transient(error):
                raise
            log.info("A send failed (%s); trying again", type(error).__name__)
            await asyncio.sleep(QUICK_PAUSE * attempt)
    return await send()


# Whether a message in the channel's history is the one this delivery would send.
Same = Callable[[discord.Message], bool]


class OwnSends:
    """The bot's own messages as the gateway announced them (MESSAGE_CREATE carries the
    nonce the send gave; a channel's history does not), by channel and nonce.

    A send whose answer was lost was still announced if Discord carried it out, so a retry
    finds it here even where the history cannot show it: no Read Message History, the
    channel hidden from the bot since, a moderator who deleted it. And where this process
    has watched the channel's shard without a gap since it first tried the delivery, no
    announcement means Discord made nothing: the retry sends, instead of taking another
    member's post with the same words from the history as its own. A gap is a new gateway
    session (a resumed one replays what it missed), or a forgotten entry; and until the
    gateway has shown one nonce back, none is taken as proof. Times are monotonic (a wall
    clock put back must not move them). Kept in memory, per process: after a restart, or
    for a delivery another process tried, the history is read."""

    def __init__(self, now: Callable[[], datetime], elapsed: Callable[[], float]) -> None:
        self._now = now
        self._elapsed = elapsed  # monotonic seconds (Clock.elapsed)
        self._seen: OrderedDict[tuple[int, str], tuple[float, discord.Message]] = OrderedDict()
        self._forgotten_until: float | None = None
        self._watched_since: dict[int, float] = {}
        self._paused: set[int] = set()
        self._nonces_shown = False
        # When this process first tried each delivery.
        self._first_tried: OrderedDict[int, float] = OrderedDict()

    def saw(self, message: discord.Message, me: int | None) -> None:
        """Keeps `message` if it is the bot's own (`me`) and carries a nonce."""
        if me is None or message.author.id != me or message.nonce is None:
            return
        self._nonces_shown = True
        now = self._elapsed()
        key = (message.channel.id, str(message.nonce))
        self._seen.pop(key, None)
        self._seen[key] = (now, message)
        while self._seen:
            seen_at, _ = next(iter(self._seen.values()))
            if len(self._seen) <= OWN_SENDS_MOST and now - seen_at < OWN_SENDS_KEPT_SECONDS:
                break
            self._seen.popitem(last=False)
            self._forgotten_until = seen_at

    def sent(self, channel_id: int, nonce: str) -> discord.Message | None:
        kept = self._seen.get((channel_id, nonce))
        return None if kept is None else kept[1]

    def sent_for_another(self, message: discord.Message, nonce: str) -> bool:
        """Whether `message` was announced as another send's (another nonce): found in the
        history after a gap, it is not this one's, however alike the words."""
        return any(
            kept.id == message.id and key[1] != nonce
            for key, (_, kept) in self._seen.items()
            if key[0] == message.channel.id
        )

    def trying(self, occurrence_id: int) -> None:
        """A send of the delivery is about to go out from this process."""
        self._first_tried.setdefault(occurrence_id, self._elapsed())
        while len(self._first_tried) > OWN_SENDS_MOST:
            self._first_tried.popitem(last=False)

    def first_tried_at(self, occurrence_id: int) -> datetime | None:
        """When this process first tried the delivery, by today's wall clock (which may have
        been set since: the history look must reach back to it)."""
        first = self._first_tried.get(occurrence_id)
        if first is None:
            return None
        return self._now() - timedelta(seconds=self._elapsed() - first)

    def tried_long_ago(self, occurrence_id: int) -> bool:
        """Whether this process first tried the delivery longer ago than the nonce is
        trusted."""
        first = self._first_tried.get(occurrence_id)
        return first is not None and self._elapsed() - first >= NONCE_TRUST.total_seconds()

    def session_started(self, shard_id: int) -> None:
        """A new gateway session (READY): what came before it was not seen."""
        self._watched_since[shard_id] = self._elapsed()
        self._paused.discard(shard_id)

    def disconnected(self, shard_id: int) -> None:
        self._paused.add(shard_id)

    def resumed(self, shard_id: int) -> None:
        """RESUMED: Discord has replayed every event the gap held."""
        self._paused.discard(shard_id)

    def watched(self, shard_id: int, occurrence_id: int, doubt_since: datetime) -> bool:
        """Whether every own message on the shard since this process first tried the
        delivery was seen and is still kept, and the watch began before the doubt did
        (`doubt_since`, from the database: an earlier process may have tried it unseen)."""
        first = self._first_tried.get(occurrence_id)
        start = self._watched_since.get(shard_id)
        forgotten = self._forgotten_until
        return (
            self._nonces_shown
            and first is not None
            and start is not None
            and start < first
            and self._now() - timedelta(seconds=self._elapsed() - start) < doubt_since
            and shard_id not in self._paused
            and (forgotten is None or forgotten < first)
            and self._elapsed() - first < OWN_SENDS_KEPT_SECONDS
        )


async def send_once(
    client: discord.Client,
    due: Due,
    channel: discord.abc.Messageable,
    *,
    nonce: str | None = None,
    same: Same | None = None,
    **message: Any,
) -> discord.Message:
    """The one way a scheduled delivery sends a message (channel.send's keywords): with the
    occurrence's nonce (or `nonce`, for a delivery that sends more than one), and given up as
    a timeout after SEND_TIMEOUT, so a hung send is retried instead of held.

    Discord drops a repeated nonce for a few minutes only. When an earlier attempt may have
    been sent without being recorded and that may be long enough ago (`due.look_first`), the
    channel's history since that attempt is read first (history carries no nonces: the match
    is the bot's own message with the same text, embeds and buttons, or `same`); a message
    found there is returned as the one sent, and nothing is sent again. In a server channel
    whose history can't be read, Unconfirmed is raised instead of sending (see find_sent)."""

    sent_with = nonce or due.nonce
    own_sends = getattr(client, "own_sends", None)
    late = isinstance(own_sends, OwnSends) and own_sends.tried_long_ago(due.id)

    async def attempt() -> discord.Message:
        found = announced(client, channel, sent_with)
        if found is None and (due.look_first or (late and due.uncertain_since is not None)):
            found = await find_sent(client, due, channel, same or same_as(message), sent_with)
        if found is not None:
            log.info("Occurrence %s was sent by an earlier attempt: recording it", due.id)
            return found
        if isinstance(own_sends, OwnSends):
            own_sends.trying(due.id)
        return await channel.send(nonce=sent_with, **message)

    answers: list[int] = []
    watching = SEND_ANSWERS.set(answers)
    try:
        return await asyncio.wait_for(attempt(), SEND_TIMEOUT)
    except (discord.RateLimited, discord.HTTPException) as error:
        # Only 429s on every try prove nothing was carried out: discord.py may have retried
        # a 5xx (whose message Discord made) before the 429 came.
        refused = isinstance(error, discord.RateLimited) or error.status == 429
        if refused and not isinstance(error, NothingSent) and all(a == 429 for a in answers):
            raise NothingSent(getattr(error, "retry_after", 0.0)) from error
        raise
    finally:
        SEND_ANSWERS.reset(watching)


def announced(
    client: discord.Client, channel: discord.abc.Messageable, nonce: str
) -> discord.Message | None:
    """The bot's own message with `nonce` in `channel`, if the gateway announced one."""
    own_sends = getattr(client, "own_sends", None)
    channel_id = getattr(channel, "id", None)
    if not isinstance(own_sends, OwnSends) or not isinstance(channel_id, int):
        return None
    return own_sends.sent(channel_id, nonce)


def watched_throughout(client: discord.Client, due: Due, channel: discord.abc.Messageable) -> bool:
    """Whether this process saw every message the bot made in `channel` since it first tried
    `due`, watching since before the doubt began (due.uncertain_since, which an earlier
    process may have begun): its own claim (not one taken over), on a shard this process
    holds (a server's own; DMs come on shard 0), watched without a gap (OwnSends.watched)."""
    own_sends = getattr(client, "own_sends", None)
    if not isinstance(own_sends, OwnSends) or due.uncertain_since is None or due.taken_over:
        return False
    channel_id = getattr(channel, "id", None)
    known = client.get_channel(channel_id) if isinstance(channel_id, int) else None
    if isinstance(known, discord.abc.GuildChannel):
        shard_id = known.guild.shard_id
    elif isinstance(known, discord.DMChannel) or (
        isinstance(channel, discord.PartialMessageable)
        and channel.type == discord.ChannelType.private
    ):
        shard_id = 0
        held = getattr(client, "shard_ids", None)
        if held is not None and 0 not in held:
            return False
    else:
        return False
    return own_sends.watched(shard_id, due.id, due.uncertain_since)


async def find_sent(
    client: discord.Client,
    due: Due,
    channel: discord.abc.Messageable,
    same: Same,
    nonce: str | None = None,
) -> discord.Message | None:
    """The bot's message in `channel` since `due`'s first uncertain attempt: the one the
    gateway announced with the attempt's nonce (`nonce`, or the occurrence's); none if this
    process watched the channel throughout and saw none; or else the oldest in the history
    that `same` accepts.

    When the history cannot be read (no Read Message History, or no access), nothing can
    tell; nor can an empty history where the bot's permissions are not known (a server
    another shard's process serves): in a server channel Unconfirmed is raised, so the post
    is not sent again (the group would see it twice); in a DM, None (the send goes ahead: a
    second copy of a court reminder is better than none)."""
    me = client.user
    if me is None or due.uncertain_since is None:
        return None
    sent_with = nonce or due.nonce
    found = announced(client, channel, sent_with)
    if found is not None or watched_throughout(client, due, channel):
        return found
    own_sends = getattr(client, "own_sends", None)

    def mine(message: discord.Message) -> bool:
        return same(message) and not (
            isinstance(own_sends, OwnSends) and own_sends.sent_for_another(message, sent_with)
        )

    known = (
        client.get_channel(channel.id)
        if isinstance(channel, discord.PartialMessageable)
        else channel
    )
    # Without Read Message History Discord answers with no messages, not an error. A server
    # this process does not serve (another shard's) has no bot member cached, so whether the
    # history can be read is not known: the look is made, but only a history that shows
    # something (so it was readable) proves the post is not there.
    if isinstance(known, discord.abc.GuildChannel | discord.Thread):
        if (
            known.guild.me is not None
            and not known.permissions_for(known.guild.me).read_message_history
        ):
            raise cannot_confirm(due, known, "Muster has no Read Message History")
        rights_unknown = known.guild.me is None
    else:
        rights_unknown = (
            known is None
            and isinstance(channel, discord.PartialMessageable)
            and channel.guild_id is not None
        )
    start = due.uncertain_since
    tried_at = own_sends.first_tried_at(due.id) if isinstance(own_sends, OwnSends) else None
    if tried_at is not None:
        start = min(start, tried_at)
    since = discord.Object(discord.utils.time_snowflake(start - HISTORY_SLACK))
    try:
        shown = False
        async for found in channel.history(limit=HISTORY_LIMIT, after=since, oldest_first=True):
            shown = True
            if found.author.id == me.id and mine(found):
                return found
        if rights_unknown and not shown:
            raise cannot_confirm(
                due,
                known or channel,
                "Muster can't tell whether it may read the history there (the server is "
                "another shard's), and Discord showed none",
            )
    except discord.Forbidden as error:
        if not is_dm(known or channel):
            raise cannot_confirm(
                due, known or channel, f"Discord refused to show the history ({error.status})"
            ) from error
        log.warning(
            "Can't read the history to look for occurrence %s (%s); sending it",
            due.id,
            error.status,
        )
    except discord.NotFound as error:  # the channel is gone: the send will say so
        log.warning(
            "Can't read the history to look for occurrence %s (%s); sending it",
            due.id,
            error.status,
        )
    return None


def is_dm(channel: object) -> bool:
    """Whether `channel` is a direct message (or group DM) channel, not a server's."""
    if isinstance(channel, discord.DMChannel | discord.GroupChannel):
        return True
    return isinstance(channel, discord.PartialMessageable) and channel.type in (
        discord.ChannelType.private,
        discord.ChannelType.group,
    )


def cannot_confirm(due: Due, channel: object, why: str) -> Unconfirmed:
    """Unconfirmed for `due` in the server channel `channel`, with the warning operators and
    moderators need: which channel, and what to grant."""
    name = getattr(channel, "name", None)
    channel_id = getattr(channel, "id", None)
    where = f"#{name} ({channel_id})" if name else f"channel {channel_id}"
    log.warning(
        "Occurrence %s may already be in %s (an earlier attempt's answer was lost, and the "
        "gateway watch had a gap), and %s there to check: not sending it again, so it is "
        "never shown twice, and settling it as sent, unconfirmed. Grant Muster Read Message "
        "History in %s so a post is confirmed after an outage, never missed or doubled.",
        due.id,
        where,
        why,
        where,
    )
    return Unconfirmed(due.id, where, why)


def same_as(message: dict[str, Any]) -> Same:
    """Matches a message with the text, embeds (title, description, field names) and button
    ids of channel.send's keywords `message`: what stays the same from one attempt to the
    next (footers and field values, such as a late note or counts, may not)."""
    embeds = list(message.get("embeds") or [])
    if message.get("embed") is not None:
        embeds.append(message["embed"])
    view = message.get("view")
    wanted = (
        _text(message.get("content")),
        [_embed_look(embed) for embed in embeds],
        _custom_ids(view.to_components() if view is not None else []),
    )

    def same(found: discord.Message) -> bool:
        return (
            _text(found.content),
            [_embed_look(embed) for embed in found.embeds],
            _custom_ids(component.to_dict() for component in found.components),
        ) == wanted

    return same


def same_buttons(view: discord.ui.View) -> Same:
    """Matches a message with the same button ids: enough where they name the delivery."""
    wanted = _custom_ids(view.to_components())
    return lambda found: _custom_ids(c.to_dict() for c in found.components) == wanted


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _embed_look(embed: discord.Embed) -> tuple[str, str, tuple[str, ...]]:
    return (
        _text(embed.title),
        _text(embed.description),
        tuple(_text(field.name) for field in embed.fields),
    )


def _custom_ids(components: Iterable[Any]) -> list[str]:
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if isinstance(item.get("custom_id"), str):
                found.append(item["custom_id"])
            for value in item.values():
                if isinstance(value, list | dict):
                    walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    for component in components:
        walk(component)
    return found
