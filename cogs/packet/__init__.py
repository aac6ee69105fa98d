"""The visit packet's deliveries: the packet sent by DM before an appointment, when its
member said yes to the offer on the reminder (bot/ui/packet.py)."""

from cogs.packet.cog import PacketCog

__all__ = ["PacketCog"]
