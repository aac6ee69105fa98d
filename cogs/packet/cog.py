"""The packet cog: registers the offer's buttons (bot/ui/packet.py) and the packet's sender."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

from bot.services.packet import PACKET, PACKET_LATE_LIMIT
from bot.ui.packet import DYNAMIC_ITEMS
from cogs.packet.sender import PacketSender

if TYPE_CHECKING:
    from bot.app import MusterBot


class PacketCog(commands.Cog):
    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.services.scheduler.register(
            PACKET, PacketSender(self.bot), deadline=PACKET_LATE_LIMIT
        )

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
