"""Domain services: plain ids and aware datetimes in, frozen dataclasses out. No discord here."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.keys import Keyring
from bot.services.guilds import GuildService


@dataclass(frozen=True)
class Services:
    """Everything the cogs may call, built once at start-up and injected."""

    clock: Clock
    keyring: Keyring
    guilds: GuildService


def build_services(sessions: SessionFactory, keyring: Keyring, clock: Clock) -> Services:
    return Services(clock=clock, keyring=keyring, guilds=GuildService(sessions, clock))
