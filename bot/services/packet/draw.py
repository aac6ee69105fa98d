"""The packet drawn in the drawing process (bot/services/charts.py), off the bot's own."""

from __future__ import annotations

import functools

from bot.services.charts import in_drawing_process
from bot.services.packet.data import PacketData
from bot.services.packet.render import render_packet


async def draw_packet(data: PacketData) -> bytes:
    return await in_drawing_process(functools.partial(render_packet, data))
