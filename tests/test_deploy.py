"""The deploy files parse and name only real settings (Docker itself cannot run here)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def env_names(text: str) -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_example_env_documents_every_setting_and_nothing_else() -> None:
    text = (DEPLOY / "muster.env.example").read_text()
    assert env_names(text) == SETTING_NAMES


def test_example_env_loads_as_settings() -> None:
    settings = Settings(_env_file=DEPLOY / "muster.env.example")  # type: ignore[call-arg]
    assert settings.database_url.startswith("sqlite+aiosqlite://")
    assert settings.dev_guild_id is None


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in SETTING_NAMES if f"`{name}`" not in readme]
    assert missing == []


def test_dockerfile_runs_as_non_root_and_migrates_before_starting() -> None:
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    assert instructions[0].startswith("FROM python:3.11")
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users, "the image must switch to a non-root user"
    assert users[-1] not in ("root", "0")
    install = next(line for line in instructions if "pip install" in line)
    assert "--constraint constraints.txt" in install
    command = next(line for line in instructions if line.startswith("CMD"))
    assert command.index("bot migrate") < command.index("bot run")
    for source in re.findall(r"^COPY (.+) \S+$", "\n".join(instructions), flags=re.MULTILINE):
        for name in source.split():
            assert (ROOT / name).exists(), f"Dockerfile copies missing {name}"


def test_compose_runs_two_shard_processes_on_postgres() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert "healthcheck" in services["postgres"]
    shards = [services["muster-shard-0"], services["muster-shard-1"]]
    for muster in shards:
        assert muster["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert muster["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert set(muster["environment"]) <= SETTING_NAMES
        assert muster["environment"]["SHARD_COUNT"] == "2"
        assert "healthcheck" in muster
        assert (ROOT / muster["build"]["dockerfile"]).exists()
    assert [m["environment"]["SHARD_IDS"] for m in shards] == ["0", "1"]


def test_systemd_unit_parses_and_runs_unprivileged() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "muster.service")
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    assert service["User"] not in ("root", "0")
    assert service["ExecStart"].endswith("-m bot run")
    assert "bot migrate" in service["ExecStartPre"]
    assert service["KillSignal"] == "SIGTERM"
