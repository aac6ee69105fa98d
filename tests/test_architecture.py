"""Dependencies point inward: services, the database layer and pure modules import no discord."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import bot
import bot.db
import bot.scheduling
import bot.services

PURE_MODULES = [
    "bot.clock",
    "bot.config",
    "bot.errors",
    "bot.keys",
    "bot.logsetup",
    "bot.scheduling",
]


def discord_free_modules() -> list[str]:
    found = list(PURE_MODULES)
    for package in (bot.services, bot.db, bot.scheduling):
        found.append(package.__name__)
        found += [
            info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
        ]
    return found


def test_services_and_db_import_no_discord() -> None:
    modules = discord_free_modules()
    assert "bot.services.guilds" in modules
    assert "bot.scheduling.runner" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'discord' or m.startswith('discord.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(bot.__file__).parents[1],
    )
    assert result.stdout.strip() == "", f"discord was imported by a pure module: {result.stdout}"
