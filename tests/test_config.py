"""Settings and keys: clear, single-sentence errors; placeholders refused."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, load_settings
from bot.errors import ConfigError
from bot.keys import Keyring


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_defaults_need_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.discord_token is None
    assert settings.is_sqlite


def test_missing_token_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
        load_settings(discord_token=None).require_token()


def test_token_is_secret_in_repr() -> None:
    settings = load_settings(discord_token="very-secret-token-value")
    assert "very-secret-token-value" not in repr(settings)
    assert settings.require_token() == "very-secret-token-value"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"database_url": "mysql://x"}, "DATABASE_URL: must start with"),
        ({"database_url": "sqlite:///plain.db"}, "async drivers"),
        ({"shard_ids": "0,1"}, "SHARD_IDS needs SHARD_COUNT"),
        ({"shard_ids": "0,5", "shard_count": 2}, "between 0 and SHARD_COUNT - 1"),
        ({"log_level": "LOUD"}, "LOG_LEVEL"),
        ({"discord_api_base": "discord.com"}, "DISCORD_API_BASE"),
        ({"database_schema": "x; DROP TABLE guilds"}, "DATABASE_SCHEMA"),
    ],
)
def test_bad_settings_give_one_clear_sentence(overrides: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**overrides)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message
    assert "Traceback" not in message


def test_shard_ids_parse_from_text() -> None:
    settings = load_settings(shard_ids="0, 2", shard_count=4)
    assert settings.shard_ids == (0, 2)


def test_keys_from_environment_newest_first() -> None:
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    settings = load_settings(
        muster_pseudonym_key=b64(secrets.token_bytes(32)),
        muster_encryption_keys=f"k2:{b64(new)},k1:{b64(old)}",
    )
    keyring = Keyring.from_settings(settings)
    assert keyring.current_key_id == "k2"
    assert keyring.encryption_keys == {"k2": new, "k1": old}


@pytest.mark.parametrize(
    ("material", "expected"),
    [
        ("changeme", "placeholder"),
        ("not base64 at all!", "not valid base64"),
        (b64(b"short"), "must decode to 32 bytes"),
        (b64(bytes(32)), "too regular"),
    ],
)
def test_bad_key_material_is_refused(material: str, expected: str) -> None:
    settings = load_settings(
        muster_pseudonym_key=material, muster_encryption_keys=f"k1:{b64(secrets.token_bytes(32))}"
    )
    with pytest.raises(ConfigError, match=expected):
        Keyring.from_settings(settings)


def test_missing_keys_point_to_generate_keys() -> None:
    with pytest.raises(ConfigError, match="generate-keys"):
        Keyring.from_settings(load_settings())


def test_key_file_round_trip_and_no_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "muster.keys.json"
    keyring = Keyring.generate()
    keyring.write(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert Keyring.from_settings(load_settings(muster_key_file=path)) == keyring
    with pytest.raises(ConfigError, match="will not overwrite"):
        Keyring.generate().write(path)


def test_broken_key_file_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"pseudonym_key": b64(secrets.token_bytes(32))}))
    with pytest.raises(ConfigError, match="must hold pseudonym_key, encryption_keys"):
        Keyring.from_file(path)
    with pytest.raises(ConfigError, match="does not exist"):
        Keyring.from_file(tmp_path / "missing.json")
