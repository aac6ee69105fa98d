"""Typed settings from the environment and `.env`. Bad values fail fast with one clear sentence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.commandline import muster_command
from bot.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/muster.db"
DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class Settings(BaseSettings):
    """Every setting Muster reads. The README and deploy/muster.env.example document each one."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # `DEV_GUILD_ID=` in an env file means "not set"
        extra="ignore",
        frozen=True,
    )

    discord_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    database_schema: str | None = None
    muster_key_file: Path | None = None
    muster_pseudonym_key: SecretStr | None = None
    muster_encryption_keys: SecretStr | None = None
    log_level: LogLevel = "INFO"
    dev_guild_id: int | None = None
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None
    discord_api_base: str = DEFAULT_API_BASE
    discord_gateway_url: str = DEFAULT_GATEWAY_URL
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    postgres_statement_timeout_ms: int = Field(default=15_000, ge=100, le=600_000)
    scheduler_lease_seconds: int = Field(default=120, ge=1, le=3600)
    health_port: int | None = Field(default=None, ge=0, le=65535)
    health_host: str = "127.0.0.1"
    rate_limit_per_second: float = Field(default=40.0, gt=0, le=50)
    held_checkins_dir: Path | None = None

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _parse_shard_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            return tuple(int(part) for part in parts) or None
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                "(Muster talks to databases through async drivers)"
            )
        return value

    @field_validator("discord_api_base", "discord_gateway_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "ws://", "wss://")):
            raise ValueError("must be an http(s):// or ws(s):// address")
        return value

    @field_validator("database_schema")
    @classmethod
    def _check_schema(cls, value: str | None) -> str | None:
        if value is not None and not value.replace("_", "").isalnum():
            raise ValueError("may hold only letters, digits and underscores")
        return value

    @model_validator(mode="after")
    def _check_shards(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT too")
            if any(not 0 <= shard < self.shard_count for shard in self.shard_ids):
                raise ValueError("every id in SHARD_IDS must be between 0 and SHARD_COUNT - 1")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def require_token(self) -> str:
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            raise ConfigError(
                "DISCORD_TOKEN is not set: put your bot's token in the environment or in .env "
                f"(or run `{muster_command('demo')}` to try Muster without Discord)."
            )
        return self.discord_token.get_secret_value().strip()


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one sentence per problem."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # overrides are validated here
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = "/".join(str(part) for part in item["loc"]).upper() or "settings"
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise ConfigError("Configuration problem. " + "; ".join(problems) + ".") from None
