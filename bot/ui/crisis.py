"""The crisis path in Discord: the card, the choice for a held-back check-in, asking a peer
mentor by name, and the mentors' side of it.

Buttons here survive restarts (dynamic items) and carry no user ids: a held check-in's
button names the check-in, and only its author, found by key, may answer it; a claim
button names the request, and only a member with the mentor role, checked at the click,
may claim it.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

import discord

from bot.delivery import CANNOT_DM, SEND_ERRORS, is_transient, send_soon
from bot.errors import UserFacingError
from bot.services.checkins import HeldChoice
from bot.services.crisis import crisis_in
from bot.services.guild_settings import GuildConfig
from bot.services.mentors import Opened, Unposted, named_request_problems, nonce_of
from bot.tree import group_of, reporting, respond, services_of
from bot.ui.checkins import WithdrawButton, named_post_embed, when_it_appears
from bot.ui.embeds import crisis_embed, safe

log = logging.getLogger(__name__)

ANONYMOUS_ALERT = (
    "Someone in the group just wrote a check-in note with words that suggest they may be in "
    "crisis. Muster showed them the crisis lines privately and offered them a peer mentor. "
    "Muster won't say who it is, and nothing was posted to the group.\n"
    "What you can do: keep an eye on the group, post a warm word to everyone, and remind "
    "people that `/crisis` lists lines that answer 24/7. If they ask for a mentor, their "
    "request will come here with their name.\n"
    "If you think someone is in immediate danger, call 911."
)
SHARED_ALERT = (
    "A check-in just shared by name in the group has words that suggest its author may be "
    "in crisis: {link}\nThey saw the crisis lines and chose to share it as written, so "
    "reaching out to them the way you normally would is okay.\n"
    "If you think someone is in immediate danger, call 911."
)
HELD_BACK = (
    "Saved, and kept private for now: nothing has been posted. Some words in your note make "
    "me think things may be really hard right now, so you choose what the group sees. If "
    "you do nothing, it stays private."
)
CHOICE_LABELS: dict[HeldChoice, str] = {
    "private": "Keep it private",
    "bare": "Share without my note",
    "full": "Share it as written",
}
NOT_SET_UP = (
    "This server hasn't set up private mentor requests, so I can't pass your name on "
    "safely. `/crisis` lists lines where people answer right now, or you could message a "
    "mentor you trust directly."
)
MENTOR_ASKED = (
    "I've let the group's peer mentors know you'd like someone to reach out. I'll DM you "
    "when one of them has it. If you need someone right now, `/crisis` lists lines that "
    "answer day and night."
)
MENTOR_UNCONFIRMED = (
    "I'm asking the group's peer mentors to reach out, but Discord hasn't confirmed it "
    "arrived yet, so I'll keep trying. If nobody has it in 15 minutes, I'll DM you. If you "
    "need someone right now, `/crisis` lists lines that answer day and night."
)
ROUTE_CHANGED = (
    "Since I showed you where your request would go, the server has changed it, so I "
    "haven't posted anything."
)
POST_HELD_BACK = (
    "Your anonymous post that was waiting will appear an hour or more later than planned, "
    "so nobody can connect it with this request."
)
POST_KEPT_PRIVATE = (
    "Your anonymous check-in that was waiting will stay private, so nobody can connect it "
    "with this request."
)
POSTS_KEPT_PRIVATE = (
    "Your anonymous check-ins that were waiting will stay private, so nobody can connect "
    "them with this request."
)
MENTOR_ALREADY_ASKED = (
    "The mentors already know you'd like someone to reach out; they'll be in touch. "
    "If you need someone right now, the crisis lines answer day and night: `/crisis`."
)
FOLLOW_UP_DM = (
    "Nobody from the mentors has answered your request yet. I'm sorry about that. These "
    "lines answer now, day and night:"
)


def crisis_reply(*, mentor: bool) -> tuple[discord.Embed, discord.ui.View | None]:
    """The same card everywhere, built without the database (R18); inside a server, with the
    offer of a peer mentor."""
    if not mentor:
        return crisis_embed(), None
    view = discord.ui.View(timeout=None)
    view.add_item(MentorButton())
    return crisis_embed(), view


async def card_if_crisis(interaction: discord.Interaction[Any], *texts: str | None) -> bool:
    """Anything a member writes to the bot is checked (R25), dates and times included, before
    it is parsed: a match gets the card, privately, before the normal answer (or the format
    error), which still follows. Nothing is blocked. True if the card was due. The texts
    are one form's fields: checked each alone and together (crisis words split over them)."""
    if not crisis_in(*texts):
        return False
    await show_card(interaction)
    return True


async def show_card(interaction: discord.Interaction[Any]) -> None:
    """The card, privately, tried again if the connection is cut. It never raises: what the
    member asked for (saving a check-in, an entry) must not be lost for a failed card."""
    card, view = crisis_reply(mentor=group_of(interaction) is not None)
    try:
        await send_soon(lambda: respond(interaction, embed=card, view=view))
    except SEND_ERRORS as error:
        log.warning("Could not show the crisis card (%s)", type(error).__name__)


def held_view(checkin_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for choice in CHOICE_LABELS:
        view.add_item(HeldShareButton(checkin_id, choice))
    return view


async def alert_mentors(client: discord.Client, config: GuildConfig, text: str) -> None:
    """A nameless alert to the mentors' channel, when the server wants them. Run on its own
    (spawned), so it never raises: a cut connection is tried again, under one random nonce
    so that Discord drops a second copy; the nonce says nothing about who or when."""
    if config.mentors_channel_id is None or not config.crisis_alerts:
        return
    channel = client.get_partial_messageable(config.mentors_channel_id)
    nonce = secrets.token_hex(12)
    try:
        await send_soon(
            lambda: channel.send(text, allowed_mentions=discord.AllowedMentions.none(), nonce=nonce)
        )
    except SEND_ERRORS as error:
        log.warning("Could not send a crisis alert to the mentors (%s)", type(error).__name__)


class CrisisCardButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"crisis:card"):
    """'Talk to someone now': the crisis card, privately, anywhere (the daily prompt, DMs)."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Talk to someone now",
                style=discord.ButtonStyle.danger,
                custom_id="crisis:card",
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CrisisCardButton:
        return cls()

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        card, view = crisis_reply(mentor=group_of(interaction) is not None)
        await respond(interaction, embed=card, view=view)


class HeldShareButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"crisis:share:(?P<id>\d{1,12}):(?P<choice>private|bare|full)",
):
    """The member's choice for a check-in held back for its crisis note. The id is the
    check-in's; whether the clicker wrote it is decided by key, in the service."""

    def __init__(self, checkin_id: int, choice: HeldChoice) -> None:
        style = (
            discord.ButtonStyle.primary if choice == "private" else discord.ButtonStyle.secondary
        )
        super().__init__(
            discord.ui.Button(
                label=CHOICE_LABELS[choice], style=style,
                custom_id=f"crisis:share:{checkin_id}:{choice}",
            )
        )  # fmt: skip
        self.checkin_id = checkin_id
        self.choice: HeldChoice = choice

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> HeldShareButton:
        choice: HeldChoice = (
            "full"
            if match["choice"] == "full"
            else "bare"
            if match["choice"] == "bare"
            else "private"
        )
        return cls(int(match["id"]), choice)

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = services_of(interaction)
        # The check-in's own group: the choice may be made outside its server (in Muster's DM,
        # or through a user install in any conversation), and it shares only there.
        guild_id = await services.checkins.group_of(interaction.user.id, self.checkin_id)
        config = await services.guild_settings.get(guild_id) if guild_id is not None else None
        chosen = await services.checkins.choose(
            interaction.user.id, self.checkin_id, self.choice, config
        )
        if chosen.share == "private":
            await respond(
                interaction,
                "Okay, it stays private. Only you can see it, in `/checkin history`. "
                "The lines above are there whenever you want them.",
            )
            if chosen.asked_for == "named" and config is not None:
                # Nothing of it is in the channel, so a nameless alert can't point at anyone.
                await alert_mentors(interaction.client, config, ANONYMOUS_ALERT)
            return
        without = " without your note" if self.choice == "bare" else ""
        if chosen.share == "anonymous":
            view = discord.ui.View(timeout=900)
            if chosen.post_id is not None:
                view.add_item(WithdrawButton(chosen.post_id))
            when = when_it_appears(
                chosen.post_after,
                config.delay_minutes if config is not None else 0,
                config.anonymous_release_times if config is not None else (),
                waits_because=chosen.waits_because,
            )
            await respond(
                interaction,
                f"Okay. It will appear{without} in <#{chosen.channel_id}> {when} as "
                f"**{chosen.pseudonym}**, with the day but not the time. Nobody, "
                "moderators included, can see that it was you.",
                view=view,
            )
            return
        if chosen.entry is None or chosen.channel_id is None:
            raise UserFacingError("I couldn't find where to share it; it stays private.")
        name = await _name_in(interaction, guild_id)
        entry = chosen.entry
        embed = named_post_embed(
            name, mood=entry.mood, sleep_hours=entry.sleep_hours,
            sleep_quality=entry.sleep_quality, cravings=entry.cravings, sober=entry.sober,
            note=entry.note, crisis_pointer=self.choice == "full",
        )  # fmt: skip
        try:
            channel = interaction.client.get_partial_messageable(
                chosen.channel_id, guild_id=guild_id
            )
            message = await channel.send(
                embed=embed, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException as error:
            log.warning("Could not post a named check-in (HTTP %s)", error.status)
            await respond(
                interaction,
                f"I couldn't post it in <#{chosen.channel_id}>; I may be missing permission "
                "there. It's saved, and a moderator can check `/setup show`.",
            )
            return
        await respond(interaction, f"Shared{without} in <#{chosen.channel_id}> as **{name}**.")
        if self.choice == "full" and config is not None:
            await alert_mentors(
                interaction.client, config, SHARED_ALERT.format(link=message.jump_url)
            )


def mentors_channel(
    guild: discord.Guild, config: GuildConfig
) -> tuple[discord.TextChannel | None, list[str]]:
    """The mentors' channel, and what stops a named request going there (R26). Private
    means @everyone cannot view it, from its overwrites and @everyone's permissions."""
    found = (
        guild.get_channel(config.mentors_channel_id)
        if config.mentors_channel_id is not None
        else None
    )
    channel = found if isinstance(found, discord.TextChannel) else None
    public = None if channel is None else channel.permissions_for(guild.default_role).view_channel
    problems = named_request_problems(config, channel_public=public)
    others = [] if channel is None or public else other_readers(guild, channel, config)
    if others:
        problems.append(
            "a mentors' channel only mentors and moderators can read (now "
            f"{' and '.join(others)} can too)"
        )
    role = guild.get_role(config.mentor_role_id) if config.mentor_role_id is not None else None
    if config.mentor_role_id is not None and role is None:
        problems.append("a mentor role that still exists")
    if channel is not None and role is not None and not channel.permissions_for(role).view_channel:
        problems.append(f"a mentors' channel the {safe(role.name)} role can read")
    if channel is not None:
        mine = channel.permissions_for(guild.me)
        if not (mine.view_channel and mine.send_messages):
            problems.append("a mentors' channel Muster can post in")
    return channel, problems


def is_moderator_role(role: discord.Role, config: GuildConfig) -> bool:
    permissions = role.permissions
    return (
        role.id == config.moderator_role_id or permissions.administrator or permissions.manage_guild
    )


def other_readers(
    guild: discord.Guild, channel: discord.TextChannel, config: GuildConfig
) -> list[str]:
    """Who besides the mentor role and moderators could read the mentors' channel (R26).
    Muster doesn't know who holds which role, so any role might be held by a member who is
    no mentor ('Members', 'Verified', a booster role): each one that can read the channel,
    with @everyone, counts against it. Checking roles one at a time is exact: a member with
    several roles can read only if one of them allows it or grants it with nothing denying.
    A member let in by name might be anyone, so that counts too; only Muster itself and
    roles that only bots hold are left out."""
    readers = [
        f"the {safe(role.name)} role"
        for role in guild.roles
        if not role.is_default()
        and role.id != config.mentor_role_id
        and not role.is_bot_managed()
        and not is_moderator_role(role, config)
        and channel.permissions_for(role).view_channel
    ]
    by_name = sum(
        1
        for target, overwrite in channel.overwrites.items()
        if not isinstance(target, discord.Role)
        and target.id != guild.me.id
        and overwrite.view_channel
    )
    if by_name:
        readers.append(f"{by_name} member{'s' if by_name > 1 else ''} let in by name")
    return readers


async def _route(
    interaction: discord.Interaction[Any],
) -> tuple[discord.TextChannel, discord.Role, GuildConfig]:
    """Where a named request from this member would go, or a kind refusal."""
    if interaction.guild is None:
        raise UserFacingError(
            "I can only reach a group's mentors from inside its server. The lines above "
            "answer day and night."
        )
    config = await services_of(interaction).guild_settings.get(interaction.guild.id)
    channel, role = named_route(interaction.guild, config)
    if channel is None or role is None:
        raise UserFacingError(NOT_SET_UP)
    return channel, role, config


def named_route(
    guild: discord.Guild, config: GuildConfig
) -> tuple[discord.TextChannel | None, discord.Role | None]:
    """The mentors' channel and role a named request may go to now, or (None, None)."""
    channel, problems = mentors_channel(guild, config)
    role = guild.get_role(config.mentor_role_id or 0)
    if not config.mentor_requests or problems or channel is None or role is None:
        return None, None
    return channel, role


def offer_text(
    name: str, channel: discord.TextChannel, role: discord.Role, config: GuildConfig
) -> str:
    """Exactly who would see the member's name, and what the mentors may already know."""
    text = (
        f"If you go ahead, I'll post your name, **{name}**, in {channel.mention} and ping "
        f"the **{safe(role.name)}** role there. Only that role and the server's moderators "
        "can read that channel. "
    )
    if not config.crisis_alerts:
        return text + (
            "I won't pass on anything from your check-ins, only that you'd like someone to "
            "reach out."
        )
    # A nameless alert about a check-in note goes to that channel at once; a named request
    # right after it would tell the mentors whose note it was (R24): the member decides
    # knowing that.
    return text + (
        "The request will say only that you'd like someone to reach out. One thing to know: "
        "when a check-in note worries me, I let the mentors there know without a name, so "
        "if you wrote one a little while ago, they may guess it was yours."
    )


def offered_here(offer: str, channel: discord.TextChannel, role: discord.Role) -> bool:
    """Whether the offer the member read names this channel and this role. Discord hands
    the pressed message back with the press, as the bot wrote it (a custom_id a client
    could forge; this it can't), so the yes is bound to what the member agreed to."""
    return channel.mention in offer and f"**{safe(role.name)}** role" in offer


def request_view(request_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ClaimButton(request_id))
    return view


async def post_request(
    client: discord.Client, request: Opened | Unposted, name: str | None, user_id: int
) -> discord.Message:
    """The named request in the mentors' channel, tried again at once if Discord has a
    hiccup. Every try, from the press or the scheduler, has the request's own nonce: if
    Discord had posted it before the connection dropped, it hands back that message
    instead of posting a second."""
    channel = client.get_partial_messageable(request.channel_id)
    who = f"**{name}** (<@{user_id}>)" if name else f"<@{user_id}>"
    return await send_soon(
        lambda: channel.send(
            f"<@&{request.role_id}> {who} asked for a peer mentor to reach out. If you can, "
            "press the button so they know someone has it, then contact them privately.",
            view=request_view(request.request_id),
            allowed_mentions=discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(request.role_id)]
            ),
            nonce=nonce_of(request.request_id),
        )
    )


class MentorButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"crisis:mentor"):
    """'Ask a peer mentor to reach out': first says exactly who would see the member's name."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Ask a peer mentor to reach out",
                style=discord.ButtonStyle.primary,
                custom_id="crisis:mentor",
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> MentorButton:
        return cls()

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel, role, config = await _route(interaction)
        await _offer(interaction, channel, role, config)


async def _offer(
    interaction: discord.Interaction[Any],
    channel: discord.TextChannel,
    role: discord.Role,
    config: GuildConfig,
    *,
    before: str = "",
) -> None:
    name = safe(getattr(interaction.user, "display_name", interaction.user.name))
    view = discord.ui.View(timeout=None)
    view.add_item(MentorSendButton())
    await respond(interaction, before + offer_text(name, channel, role, config), view=view)


class MentorSendButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"crisis:mentor:send"
):
    """The member's yes: only this sends their name to the mentors, and only where the offer
    they pressed it on said."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Yes, ask a mentor",
                style=discord.ButtonStyle.success,
                custom_id="crisis:mentor:send",
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> MentorSendButton:
        return cls()

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel, role, config = await _route(interaction)  # again: settings may have changed
        offer = interaction.message.content if interaction.message is not None else ""
        if not offered_here(offer or "", channel, role):
            # Requests go somewhere else now: nothing is posted until the member agrees to it.
            await _offer(interaction, channel, role, config, before=f"{ROUTE_CHANGED}\n\n")
            return
        services = services_of(interaction)
        requests = services.mentor_requests
        user = interaction.user
        opened = await requests.open(channel.guild.id, user.id, channel.id, role.id)
        elsewhere = (opened.channel_id, opened.role_id) != (channel.id, role.id)
        if not opened.fresh and not opened.posted and elsewhere:
            # An unconfirmed request for a channel the member no longer agreed to: not that.
            await requests.not_sent(opened.request_id)
            opened = await requests.open(channel.guild.id, user.id, channel.id, role.id)
        if opened.posted:
            await respond(interaction, MENTOR_ALREADY_ASKED)
            return
        name = safe(getattr(user, "display_name", user.name))
        try:
            message: discord.Message | None = await post_request(
                interaction.client, opened, name, user.id
            )
        except SEND_ERRORS as error:
            if not is_transient(error):
                # Discord refused it (missing permission, channel gone): nobody saw it.
                log.warning("Could not post a mentor request (%s)", type(error).__name__)
                await requests.not_sent(opened.request_id)
                await respond(interaction, NOT_SET_UP)
                return
            # No answer: it may be in front of the mentors. The request stays claimable, the
            # scheduler posts it (same nonce) if it isn't confirmed within a minute, and its
            # follow-up stays booked.
            log.warning("A mentor request may not have been posted (%s)", type(error).__name__)
            message = None
        if message is not None:
            await requests.posted(opened.request_id, message.id)
        # The mentors may now know a name and a moment: a post of theirs must not follow it
        # (R24).
        held = await services.anonymous.hold_back(config, user.id)
        told = [MENTOR_ASKED if message is not None else MENTOR_UNCONFIRMED]
        if held.kept_private:
            told.append(POST_KEPT_PRIVATE if held.kept_private == 1 else POSTS_KEPT_PRIVATE)
        if held.held:
            told.append(POST_HELD_BACK)
        await respond(interaction, "\n\n".join(told))


class ClaimButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"mentor:claim:(?P<id>\d{1,12})"
):
    """'I'm reaching out', on a named request: the first member with the mentor role, checked
    at the click, has it."""

    def __init__(self, request_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="I'm reaching out",
                style=discord.ButtonStyle.success,
                custom_id=f"mentor:claim:{request_id}",
            )
        )
        self.request_id = request_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ClaimButton:
        return cls(int(match["id"]))

    @reporting
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if interaction.guild_id is None:
            raise UserFacingError("That works inside a server, not in DMs.")
        services = services_of(interaction)
        config = await services.guild_settings.get(interaction.guild_id)
        mentor = interaction.user
        roles = [role.id for role in getattr(mentor, "roles", []) if not role.is_default()]
        claim = await services.mentor_requests.claim(
            self.request_id, mentor.id, roles=roles, mentor_role_id=config.mentor_role_id
        )
        if claim.refused:
            raise UserFacingError("Only peer mentors (the mentor role) can take a request.")
        if claim.gone:
            raise UserFacingError("This request is no longer open.")
        if not claim.won:
            who = f"<@{claim.claimed_by}>" if claim.claimed_by else "another mentor"
            await respond(interaction, f"Thank you. {who} already has this one.")
            return
        name = safe(getattr(mentor, "display_name", mentor.name))
        if interaction.message is not None:
            try:
                await interaction.message.edit(
                    content=f"{interaction.message.content}\n✅ {mentor.mention} is reaching out.",
                    view=None,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except discord.HTTPException as error:
                log.warning("Could not mark a mentor request claimed (HTTP %s)", error.status)
        told = await dm_member(
            interaction,
            claim.user_id,
            f"**{name}**, one of the group's peer mentors, has your request and will reach "
            "out soon. If you need someone before then, `/crisis` lists lines that answer now.",
        )
        await respond(
            interaction,
            "Thank you. It's yours: please contact them privately soon."
            + ("" if told else " I couldn't DM them to say so; their DMs may be closed."),
        )


async def _name_in(interaction: discord.Interaction[Any], guild_id: int | None) -> str:
    """The member's name in that server, as a named post shows it, wherever they pressed."""
    if interaction.guild_id != guild_id and guild_id is not None:
        groups = await interaction.client.group_lookup.groups_of(interaction.user.id)
        for group in groups:
            if group.guild_id == guild_id:
                return str(group.display_name)
    return str(getattr(interaction.user, "display_name", interaction.user.name))


async def dm_member(interaction: discord.Interaction[Any], user_id: int, text: str) -> bool:
    """A DM to a member; False if it could not be delivered. Closed DMs are remembered, so
    nothing retries them (R9)."""
    try:
        channel = await interaction.client.create_dm(discord.Object(user_id))
        await channel.send(text)
    except SEND_ERRORS as error:  # a cut connection too: the claim stands either way
        log.info("Could not DM a member (%s)", type(error).__name__)
        if isinstance(error, discord.Forbidden) and error.code == CANNOT_DM:
            await services_of(interaction).member_settings.mark_dms_closed(user_id)
        return False
    return True


CRISIS_ITEMS = (CrisisCardButton, HeldShareButton, MentorButton, MentorSendButton, ClaimButton)
