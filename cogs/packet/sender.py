"""The visit packet sender: the packet by DM before an appointment."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.dm import dm_outcome
from bot.scheduling import Delivery, Due
from bot.services.packet import PacketData, draw_packet
from bot.ui.packet import packet_file

if TYPE_CHECKING:
    from bot.app import MusterBot


class PacketSender:
    """Sends the visit packet by DM before an appointment, and says how it went."""

    def __init__(self, bot: MusterBot) -> None:
        self.bot = bot

    async def deliver(self, due: Due, now: datetime) -> Delivery:
        services = self.bot.services
        prepared = await services.packet_offers.prepare(due, now)
        if isinstance(prepared, Delivery):
            return prepared
        data = await services.packets.gather(
            prepared.user_id, prepared.zone, prepared.days, prepared.who
        )
        pdf = await draw_packet(data)
        stamp = int(prepared.event_at.timestamp())
        return await dm_outcome(
            self.bot,
            prepared.user_id,
            content=f"Your visit packet for your appointment <t:{stamp}:F>: a one-page "
            "summary of your last "
            f"{prepared.days} days for your provider. {packet_note(data)}",
            files=lambda: [packet_file(pdf)],
            due=due,
        )


def packet_note(data: PacketData) -> str:
    if data.questions:
        return f"Your {len(data.questions)} question(s) are on it."
    return "Add questions for your provider with `/checkin questions add`."
