"""Choices and autocomplete shared by /resource and /resource-admin."""

from __future__ import annotations

from discord import app_commands

from bot.services.resources import CATEGORIES, ResourceEntry

CATEGORY_CHOICES = [app_commands.Choice(name=label, value=key) for key, label in CATEGORIES.items()]

# Autocomplete must answer within Discord's 3 seconds, database or not.
AUTOCOMPLETE_BUDGET = 2.0


def entry_choices(entries: list[ResourceEntry]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=entry.name[:100], value=entry.key) for entry in entries[:25]]
