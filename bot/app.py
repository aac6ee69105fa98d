"""The Bot subclass: receives settings and services, owns the lifecycle (R6, R20)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord.ext import commands

from bot.config import Settings
from bot.delivery import MAX_RATELIMIT_SLEEP, SEND_ERRORS, OwnSends
from bot.dm import send_dm
from bot.groups import GroupLookup
from bot.invite import invite_url, user_install_url
from bot.ratelimit import OutgoingLimiter, process_share
from bot.scheduling.dispatcher import Dispatcher
from bot.services import Services
from bot.services.charts import stop_drawing
from bot.services.retention import RETENTION_JOB
from bot.tree import MusterTree
from cogs.checkins import CheckinCog, MedsCog, SobrietyCog
from cogs.crisis import CrisisFlowCog
from cogs.general import GeneralCog
from cogs.measures import MeasuresCog
from cogs.meetings import MeetingAdminCog, MeetingCog
from cogs.packet import PacketCog
from cogs.privacy import PrivacyCog
from cogs.reminders import ReminderCog, SettingsCog
from cogs.resources import ResourceAdminCog, ResourceCog
from cogs.setup import ModCog, SetupCog
from cogs.taper import TaperCog

if TYPE_CHECKING:
    from bot.health import Health

log = logging.getLogger(__name__)

# How long shutdown waits for background work (event handlers' database writes) to finish.
SHUTDOWN_GRACE = 5.0
# The name of every task spawn() starts, so that tests can wait for it to be done.
BACKGROUND_TASK = "muster: background"


def point_discord_at(settings: Settings) -> None:
    """Send REST and gateway traffic where the settings say (a proxy, or the sandbox).

    discord.py keeps both addresses as class attributes, so this is process-wide.
    """
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def muster_intents() -> discord.Intents:
    """Only what Muster uses; no privileged intents."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True  # a member's DM gets an answer; not privileged
    # The bot's own posts, announced with their nonce: how a retry knows a send whose answer
    # was lost went out (OwnSends). Not message content: other members' messages arrive
    # empty and are dropped unread.
    intents.guild_messages = True
    return intents


def _shard_options(settings: Settings) -> dict[str, Any]:
    """Shard settings for AutoShardedBot; unset means Discord's recommended count, all shards."""
    options: dict[str, Any] = {}
    if settings.shard_count is not None:
        options["shard_count"] = settings.shard_count
    if settings.shard_ids is not None:
        options["shard_ids"] = list(settings.shard_ids)
    return options


def build_cogs(bot: MusterBot) -> list[commands.Cog]:
    """Every cog Muster loads, in order. A new capability adds its cog here."""
    return [
        GeneralCog(bot),
        CrisisFlowCog(bot),
        ResourceCog(bot),
        ResourceAdminCog(bot),
        CheckinCog(bot),
        MedsCog(bot),
        TaperCog(bot),  # after MedsCog: its commands go under /meds
        SobrietyCog(bot),
        MeasuresCog(bot),
        PacketCog(bot),
        ReminderCog(bot),
        SettingsCog(bot),
        MeetingCog(bot),
        MeetingAdminCog(bot),
        PrivacyCog(bot),
        SetupCog(bot),
        ModCog(bot),
    ]


WELCOME = (
    "Hi, I'm Muster. I help a peer-support group check in, get reminders and find help fast; "
    "what members write stays private unless they choose to share. To set me up, a "
    "moderator runs `/setup start`. Anyone can use `/crisis` for crisis lines, any time; "
    "`/help` lists the rest."
)
WELCOME_BY_DM = (
    "Thanks for adding me to **{guild}**. I couldn't post in the server, so I'm writing to "
    "you here. " + WELCOME.removeprefix("Hi, I'm Muster. ")
)


class MusterBot(commands.AutoShardedBot):
    def __init__(
        self,
        *,
        settings: Settings,
        services: Services,
        dispatcher: Dispatcher | None = None,
        health: Health | None = None,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        # Muster never joins voice; skip discord.py's warnings about voice libraries.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        self.limiter = OutgoingLimiter(process_share(settings), services.clock)
        super().__init__(
            http_trace=self.limiter.trace(),
            command_prefix=commands.when_mentioned,
            intents=muster_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=MusterTree,
            help_command=None,
            max_messages=None,
            # Memory per server: only the bot's own member is kept (for permission checks);
            # Muster never looks other members up in the cache.
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=MAX_RATELIMIT_SLEEP,
            **_shard_options(settings),
        )
        self.settings = settings
        self.services = services
        self.own_sends = OwnSends(services.clock.now, services.clock.elapsed)
        self.add_listener(self._saw_message, "on_message")
        self.add_listener(self._session_started, "on_shard_connect")
        self.add_listener(self._disconnected, "on_shard_disconnect")
        self.add_listener(self._resumed, "on_shard_resumed")
        self.dispatcher = dispatcher
        self.health = health
        self.group_lookup = GroupLookup(self)
        self._login_started = False
        self._invite_shown = False
        self._background: set[asyncio.Task[object]] = set()

    # What OwnSends needs to know of the gateway: the bot's own messages, and its sessions.
    async def _saw_message(self, message: discord.Message) -> None:
        self.own_sends.saw(message, self.user.id if self.user is not None else None)

    async def _session_started(self, shard_id: int) -> None:
        self.own_sends.session_started(shard_id)

    async def _disconnected(self, shard_id: int) -> None:
        self.own_sends.disconnected(shard_id)

    async def _resumed(self, shard_id: int) -> None:
        self.own_sends.resumed(shard_id)

    def spawn(self, work: Coroutine[Any, Any, object]) -> None:
        """Run work that outlives an event handler; close() waits for it before the database
        is closed."""
        task = asyncio.get_running_loop().create_task(work, name=BACKGROUND_TASK)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def login(self, token: str) -> None:
        self._login_started = True
        await super().login(token)

    async def close(self) -> None:
        if self.dispatcher is not None:
            await self.dispatcher.stop()
        if self._background:
            await asyncio.wait(self._background, timeout=SHUTDOWN_GRACE)
        await self.services.checkins.close()  # queued check-ins are saved before the end
        await self.services.member_settings.close()
        await self.services.guilds.close()
        stop_drawing()
        # AutoShardedClient.close() fails if login never began; there is nothing to stop then.
        if self._login_started:
            await super().close()

    async def setup_hook(self) -> None:
        # Runs once per process, before the gateway connects (R20).
        for cog in build_cogs(self):
            await self.add_cog(cog)
        if self.dispatcher is not None:
            # The daily purge keeps trying until the next day's run would be due.
            self.services.scheduler.register(
                RETENTION_JOB, self.services.retention, deadline=timedelta(days=1)
            )
            await self.services.retention.ensure_scheduled()
            await self.services.meetings.top_up_all()
            await self.services.summaries.ensure_all()
            await self.services.anonymous.ensure_all()
            await self.dispatcher.start()  # rebuilt from the database: nothing due is lost
        if self.settings.dev_guild_id is not None:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d commands to the development guild", len(synced))

    async def on_ready(self) -> None:
        # May fire again after every reconnect: log only, no side effects (R20).
        log.info("Ready: serving %d server(s)", len(self.guilds))
        if not self.guilds and self.application_id is not None and not self._invite_shown:
            # A first start: without the link the operator has no way in. Printed, not
            # logged: it shows at any LOG_LEVEL, and the log's redaction would hide the id.
            self._invite_shown = True
            print(  # noqa: T201
                "Muster isn't in any server yet. To add it to yours, open: "
                + invite_url(self.application_id)
                + " . A member can also add it to their own account, to use /crisis and "
                "their private tools in any conversation: " + user_install_url(self.application_id),
                flush=True,
            )

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if self.health is not None:
            self.health.observe(interaction.type.name, interaction.created_at.timestamp())

    async def on_guild_available(self, guild: discord.Guild) -> None:
        self.spawn(self.services.guilds.record_present(guild.id, guild.name))

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.spawn(self.services.guilds.record_present(guild.id, guild.name))
        self.spawn(self._welcome(guild))

    async def _welcome(self, guild: discord.Guild) -> None:
        """One short hello on joining: in the server's system channel if Muster may post
        there, else to the owner by DM. Never a second time (Discord sends no join again)."""
        channel = guild.system_channel
        try:
            if channel is not None and channel.permissions_for(guild.me).send_messages:
                await channel.send(WELCOME)
            elif guild.owner_id is not None:
                await send_dm(self, guild.owner_id, content=WELCOME_BY_DM.format(guild=guild.name))
        except SEND_ERRORS as error:
            log.info("Could not say hello in a new server (%s)", type(error).__name__)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.spawn(self._record_left(guild.id))

    async def _record_left(self, guild_id: int) -> None:
        await self.services.guilds.record_left(guild_id)
