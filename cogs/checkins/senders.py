"""The check-ins' scheduled senders: delayed anonymous posts, milestones, daily prompts and
the weekly group summary. Each turns a due delivery into a send and its outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord

from bot.db.engine import DATABASE_ERRORS
from bot.delivery import (
    SEND_ERRORS,
    Unconfirmed,
    find_sent,
    send_failure,
    send_once,
    send_outcome,
)
from bot.dm import dm_outcome
from bot.errors import UserFacingError
from bot.scheduling import UNCONFIRMED, Delivery, Due, not_set_up
from bot.services.checkins import (
    ANONYMOUS_POST_DEADLINE,
    MILESTONE,
    MILESTONE_LATE_LIMIT,
    PROMPT,
    PROMPT_LATE_LIMIT,
    RELEASE,
    SUMMARY,
    SUMMARY_DEADLINE,
    milestone_words,
)
from bot.ui.checkins import delete_post_message
from bot.ui.crisis import CrisisCardButton
from bot.ui.embeds import safe
from cogs.checkins.form import CheckinFormButton
from cogs.checkins.ui import (
    PostOptionsButton,
    StopPromptsButton,
    anonymous_post_embed,
    summary_embed,
    summary_title,
)

if TYPE_CHECKING:
    from bot.app import MusterBot

log = logging.getLogger(__name__)

# Recording a sent post's message id can fail on the database or on the post's own state.
RECORDING_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, UserFacingError)


def register_senders(bot: MusterBot) -> None:
    """Every kind the check-ins book, with its sender (at cog_load)."""
    scheduler = bot.services.scheduler
    scheduler.register(
        RELEASE,
        AnonymousPostSender(bot),
        deadline=ANONYMOUS_POST_DEADLINE,
        record=bot.services.anonymous.record_posted,
    )
    scheduler.register(MILESTONE, MilestoneSender(bot), deadline=MILESTONE_LATE_LIMIT)
    scheduler.register(PROMPT, PromptSender(bot), deadline=PROMPT_LATE_LIMIT)
    scheduler.register(SUMMARY, SummarySender(bot), deadline=SUMMARY_DEADLINE)


class AnonymousPostSender:
    """A server's release delivery: posts the anonymous check-in it was booked for, with
    channel.send, never as an interaction answer (R2): no interaction metadata, mentions off,
    one button without ids. Then books the next release (see book_release)."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        guild_id = RELEASE.parse(due.source)
        prepared = await services.anonymous.due_post(due, now)
        if isinstance(prepared, Delivery):
            if prepared.moved_to is not None:  # held back: the release is booked again
                await services.scheduler.scheduled(prepared.moved_to)
                return prepared
            if prepared.status == "cancelled":
                prepared = await self._take_down_lost_copy(due, prepared)
            await services.scheduler.scheduled(await services.anonymous.book_next(guild_id, now))
            return prepared
        zone = (await services.guild_settings.get(guild_id)).timezone
        day = prepared.post_after.astimezone(ZoneInfo(zone)).date()
        view = discord.ui.View(timeout=None)
        view.add_item(PostOptionsButton())
        outcome = await send_outcome(
            lambda: send_once(
                self.bot,
                due,
                self.bot.get_partial_messageable(prepared.channel_id),
                embed=anonymous_post_embed(prepared, day),
                view=view,
                allowed_mentions=discord.AllowedMentions.none(),
                # Per post, not per release: a release pointed at another post since (a
                # hold-back) must not hand Discord this nonce for a different message.
                nonce=anonymous_nonce(prepared.post_id),
            )
        )
        if outcome.cause == UNCONFIRMED:  # may be in the channel already: never posted again
            await services.anonymous.mark_unconfirmed(prepared.post_id)
            await services.scheduler.scheduled(
                await services.anonymous.book_next(guild_id, now, done=prepared.post_id)
            )
            return outcome
        if outcome.message_id is None:  # not sent
            if outcome.status == "failed_permanent":
                await services.anonymous.mark_failed(prepared.post_id)
                await services.scheduler.scheduled(
                    await services.anonymous.book_next(guild_id, now)
                )
            return outcome  # transient: this delivery is tried again, the others wait
        await self._take_down_if_withdrawn(
            prepared.post_id, prepared.channel_id, outcome.message_id
        )
        await services.scheduler.scheduled(
            await services.anonymous.book_next(guild_id, now, done=prepared.post_id)
        )
        # Recorded with the settle, in one transaction, and retried until it is (R30).
        return outcome

    async def _take_down_lost_copy(self, due: Due, outcome: Delivery) -> Delivery:
        """Withdrawn or removed after an attempt whose answer was lost: Discord may show it.
        Found in the channel, it is recorded and taken down; its author was told it would be."""
        lost = await self.bot.services.anonymous.gone_but_maybe_sent(due)
        if lost is None:
            return outcome
        title = f"Check-in from {lost.pseudonym}"
        channel = self.bot.get_partial_messageable(lost.channel_id)
        try:
            found = await find_sent(
                self.bot, due, channel, _titled(title), nonce=anonymous_nonce(lost.post_id)
            )
        except Unconfirmed as unknown:
            return replace(
                outcome,
                detail=f"withdrawn; a copy may be in the channel, but {unknown.why} in "
                f"{unknown.channel} to find it and take it down",
                cause=UNCONFIRMED,
            )
        except SEND_ERRORS as error:
            return send_failure(error)  # looked for again on the retry
        if found is None:
            return outcome
        await self._take_down_if_withdrawn(lost.post_id, lost.channel_id, found.id)
        return Delivery("cancelled", "withdrawn; the copy that reached the channel was taken down")

    async def _take_down_if_withdrawn(self, post_id: int, channel_id: int, message_id: int) -> None:
        """The author withdrew it (or a moderator removed it) while the send was in flight:
        it is recorded now, and taken down. If this fails, the settle still records it."""
        try:
            gone_already = await self.bot.services.anonymous.attach_message(post_id, message_id)
            if gone_already:
                await delete_post_message(self.bot, channel_id, message_id)
        except RECORDING_ERRORS:
            log.warning("Could not record or take down post #%s after sending", post_id)


def anonymous_nonce(post_id: int) -> str:
    """An anonymous post's nonce: per post, as its release may move to another post."""
    return f"anon-{post_id}"


class MilestoneSender:
    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        milestone = await services.sobriety.prepare(due, now)
        if isinstance(milestone, Delivery):
            return milestone
        config = await services.guild_settings.get(milestone.guild_id)
        if config.checkin_channel_id is None:
            return not_set_up("check-in")
        reached = milestone_words(milestone.days)
        if milestone.named_user_id is not None:
            text = f"🎉 <@{milestone.named_user_id}> reached **{reached}** today. Well done!"
        else:
            text = (
                f"🎉 Someone in the group reached **{reached}** today. Well done, whoever you are!"
            )
        channel = self.bot.get_partial_messageable(config.checkin_channel_id)
        return await send_outcome(
            lambda: send_once(
                self.bot,
                due,
                channel,
                content=text,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        )


class PromptSender:
    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        prompt = await services.prompts.prepare(due, now)
        if isinstance(prompt, Delivery):
            return prompt
        guild = self.bot.get_guild(prompt.guild_id)
        where = f" in {safe(guild.name)}" if guild is not None else ""
        view = discord.ui.View(timeout=None)
        view.add_item(CheckinFormButton(prompt.guild_id))
        view.add_item(StopPromptsButton())
        view.add_item(CrisisCardButton())
        return await dm_outcome(
            self.bot,
            prompt.user_id,
            content="Hi. How are you doing today? When you're ready, **Check in** takes a "
            f"few seconds (or `/checkin now`{where}). No pressure.",
            view=view,
            due=due,
        )


class SummarySender:
    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        guild_id = SUMMARY.parse(due.source)
        config = await services.guild_settings.get(guild_id)
        summary = await services.summaries.prepare(due, config)
        if isinstance(summary, Delivery):
            if summary.status != "cancelled" or config.checkin_channel_id is None:
                return summary
            # Fewer members now (a post taken down since) than when an attempt whose answer
            # was lost may have posted it: if it is in the channel, it went out.
            ending = (due.due_at - timedelta(days=1)).astimezone(ZoneInfo(config.timezone))
            channel = self.bot.get_partial_messageable(config.checkin_channel_id)
            try:
                found = await find_sent(self.bot, due, channel, _titled(summary_title(ending)))
            except Unconfirmed as unknown:
                return unknown.outcome
            except SEND_ERRORS as error:
                return send_failure(error)
            return summary if found is None else Delivery("sent", message_id=found.id)
        return await send_outcome(
            lambda: send_once(
                self.bot,
                due,
                self.bot.get_partial_messageable(summary.channel_id),
                # Its counts may have changed since a lost attempt: the week is what matches.
                same=_titled(summary_title(summary.week_ending)),
                embed=summary_embed(summary),
            )
        )


def _titled(title: str) -> Callable[[discord.Message], bool]:
    return lambda message: bool(message.embeds) and message.embeds[0].title == title
