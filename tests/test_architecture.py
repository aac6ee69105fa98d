"""Dependencies point inward: services, the database layer and pure modules import no discord;
no feature's cog imports another feature's."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import bot
import bot.db
import bot.scheduling
import bot.services
import cogs

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


ROOT = Path(bot.__file__).parents[1]


def features() -> list[str]:
    """Each feature's cog: a module or a package directly under cogs/."""
    return sorted(f"cogs.{info.name}" for info in pkgutil.iter_modules(cogs.__path__))


def cog_imports(feature: str) -> set[str]:
    """The cogs.* modules a feature's files import (at run time or for type checking)."""
    path = ROOT / Path(*feature.split("."))
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    found: set[str] = set()
    for file in files:
        for node in ast.walk(ast.parse(file.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return {name for name in found if name == "cogs" or name.startswith("cogs.")}


def test_no_feature_cog_imports_another_features() -> None:
    assert {"cogs.meetings", "cogs.reminders", "cogs.resources", "cogs.crisis"} <= set(features())
    crossing = {
        feature: sorted(
            name for name in cog_imports(feature) if not (name + ".").startswith(feature + ".")
        )
        for feature in features()
    }
    assert {feature: names for feature, names in crossing.items() if names} == {}


def test_import_linter_keeps_every_feature_cog_independent() -> None:
    """The CI contract (lint-imports) names the features one by one: a new one must be added."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    [independence] = [
        contract
        for contract in config["tool"]["importlinter"]["contracts"]
        if contract["type"] == "independence"
    ]
    assert sorted(independence["modules"]) == features()
