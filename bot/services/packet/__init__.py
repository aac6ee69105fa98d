"""The visit packet (issue 14): a one-page PDF of the member's period for their prescriber,
the questions they keep for the visit, and the packet sent by DM before an appointment."""

from bot.services.packet.data import MeasureScore, PacketData, SymptomCheck, TaperStep, initials
from bot.services.packet.draw import draw_packet
from bot.services.packet.gather import PacketService
from bot.services.packet.offers import (
    APPOINTMENT_KINDS,
    PACKET,
    PACKET_LATE_LIMIT,
    NameChoice,
    PacketDue,
    PacketOffers,
    name_context,
)
from bot.services.packet.questions import MAX_QUESTIONS, Question, QuestionData, QuestionService
from bot.services.packet.render import FOOTER, packet_chart, render_packet

__all__ = [
    "APPOINTMENT_KINDS",
    "FOOTER",
    "MAX_QUESTIONS",
    "PACKET",
    "PACKET_LATE_LIMIT",
    "MeasureScore",
    "NameChoice",
    "PacketData",
    "PacketDue",
    "PacketOffers",
    "PacketService",
    "Question",
    "QuestionData",
    "QuestionService",
    "SymptomCheck",
    "TaperStep",
    "draw_packet",
    "initials",
    "name_context",
    "packet_chart",
    "render_packet",
]
