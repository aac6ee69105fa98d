"""R28: keys are checked against stored check values at start; a mismatch refuses to start
with one sentence, in the service, in open_runtime and on the real command line."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import Settings
from bot.db.engine import SessionFactory
from bot.db.models import KeyCheck
from bot.errors import ConfigError
from bot.keys import Keyring
from bot.sandbox import Sandbox
from bot.scheduling import Scheduler
from bot.services import key_checks
from bot.services.checkins import Spool
from bot.services.key_rotation import KeyRotation
from bot.services.reminders import ReminderService
from tests.conftest import World, start_bot
from tests.test_checkins_e2e import checkin_options, configure, post_anonymously
from tests.test_cli import database_env, muster, sandbox_env


def keyring_with(pseudonym: bytes, keys: dict[str, bytes], current: str) -> Keyring:
    return Keyring(pseudonym_key=pseudonym, encryption_keys=keys, current_key_id=current)


def write_keys(path: Path, keyring: Keyring) -> Path:
    path.unlink(missing_ok=True)
    keyring.write(path)
    return path


async def test_first_start_records_check_values_never_the_keys(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    keyring = Keyring.generate()
    await key_checks.verify_and_record(sessions, keyring, clock)
    await key_checks.verify_and_record(sessions, keyring, clock)  # the same keys: fine
    async with sessions() as session:
        rows = list(await session.scalars(select(KeyCheck)))
    assert {(row.kind, row.key_id) for row in rows} == {("pseudonym", "-"), ("encryption", "k1")}
    stored = " ".join(row.check_value for row in rows)
    for key in (keyring.pseudonym_key, keyring.encryption_keys["k1"]):
        assert key.hex() not in stored
        assert base64.b64encode(key).decode() not in stored


@pytest.mark.parametrize("replaced", ["encryption", "pseudonym"])
async def test_a_replaced_key_is_refused_with_one_sentence(
    sessions: SessionFactory, clock: FakeClock, replaced: str
) -> None:
    keyring = Keyring.generate()
    await key_checks.verify_and_record(sessions, keyring, clock)
    other = Keyring.generate()
    wrong = keyring_with(
        other.pseudonym_key if replaced == "pseudonym" else keyring.pseudonym_key,
        other.encryption_keys if replaced == "encryption" else keyring.encryption_keys,
        "k1",
    )
    with pytest.raises(ConfigError) as refused:
        await key_checks.verify_and_record(sessions, wrong, clock)
    message = str(refused.value)
    expected = "the pseudonym key" if replaced == "pseudonym" else "encryption key 'k1'"
    assert f"{expected} is not the one the stored data was written with" in message
    assert message.count(". ") == 0  # one sentence
    assert message.endswith(".")


async def test_rotation_records_the_new_key_and_reencrypt_retires_the_old(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    old = Keyring.generate()
    await key_checks.verify_and_record(sessions, old, clock)
    fresh = secrets.token_bytes(32)
    rotating = keyring_with(old.pseudonym_key, {"k2": fresh, **old.encryption_keys}, "k2")
    await key_checks.verify_and_record(sessions, rotating, clock)
    only_new = keyring_with(old.pseudonym_key, {"k2": fresh}, "k2")
    with pytest.raises(ConfigError, match="encryption key 'k1', which stored data was written"):
        await key_checks.verify_and_record(sessions, only_new, clock)
    await key_checks.forget_retired(sessions, rotating)  # what `reencrypt` does once done
    await key_checks.verify_and_record(sessions, only_new, clock)
    wrong_new = keyring_with(old.pseudonym_key, {"k2": secrets.token_bytes(32)}, "k2")
    with pytest.raises(ConfigError, match="encryption key 'k2' is not the one"):
        await key_checks.verify_and_record(sessions, wrong_new, clock)


HELD = {"note": "kept while the database was busy"}


def hold(folder: Path, keyring: Keyring, key: int) -> None:
    """A check-in held in the spool, as a process that stopped with the database busy left it."""
    spool = Spool(folder, keyring)
    spool.open()
    spool.keep(key, HELD)


async def test_a_held_checkin_sealed_with_a_missing_key_is_refused_with_one_sentence(
    sessions: SessionFactory, clock: FakeClock, tmp_path: Path
) -> None:
    """The database no longer needs k1, but a check-in held in the spool is sealed with it:
    starting without k1 would lose it, so the start is refused and says how to save it."""
    old = Keyring.generate()
    hold(tmp_path / "held", old, 7)
    fresh = secrets.token_bytes(32)
    rotating = keyring_with(old.pseudonym_key, {"k2": fresh, **old.encryption_keys}, "k2")
    await key_checks.verify_and_record(
        sessions, rotating, clock, Spool(tmp_path / "held", rotating)
    )
    await key_checks.forget_retired(sessions, rotating)
    only_new = keyring_with(old.pseudonym_key, {"k2": fresh}, "k2")
    with pytest.raises(ConfigError) as refused:
        await key_checks.verify_and_record(
            sessions, only_new, clock, Spool(tmp_path / "held", only_new)
        )
    message = str(refused.value)
    assert "encryption key 'k1', which 1 held check-in(s) in" in message
    assert str(tmp_path / "held") in message
    assert "`reencrypt`" in message
    assert message.count(". ") == 0  # one sentence
    await key_checks.verify_and_record(
        sessions, rotating, clock, Spool(tmp_path / "held", rotating)
    )


async def test_reencrypt_reseals_the_held_checkins_so_the_old_key_can_go(
    sessions: SessionFactory, clock: FakeClock, tmp_path: Path
) -> None:
    old = Keyring.generate()
    hold(tmp_path / "held", old, 7)
    fresh = secrets.token_bytes(32)
    rotating = keyring_with(old.pseudonym_key, {"k2": fresh, **old.encryption_keys}, "k2")
    report = await KeyRotation(
        sessions, clock, rotating, Spool(tmp_path / "held", rotating)
    ).reencrypt()
    assert (report.reencrypted, report.unreadable) == (1, 0)
    only_new = Spool(tmp_path / "held", keyring_with(old.pseudonym_key, {"k2": fresh}, "k2"))
    assert only_new.key_ids() == {"k2": 1}
    assert only_new.held() == [(7, HELD)]
    again = await KeyRotation(
        sessions, clock, rotating, Spool(tmp_path / "held", rotating)
    ).reencrypt()
    assert (again.reencrypted, again.already_current) == (0, 1)


async def test_the_bot_will_not_start_with_another_key_file(
    world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring):
        await world.sandbox.slash(
            world.member, world.general, "remind add", what="Court at 9", when="in 2 days"
        )
    with pytest.raises(ConfigError, match="do not match this database"):
        async with start_bot(bot_settings, clock, keyring=Keyring.generate()):
            pass
    async with start_bot(bot_settings, clock, keyring=keyring):  # the right keys still start
        listed = await world.sandbox.slash(world.member, world.general, "remind list")
        assert "Court at 9" in listed.text


@pytest.mark.slow
@pytest.mark.empty_database
async def test_run_and_check_config_refuse_a_replaced_key_file(
    tmp_path: Path, database: dict[str, Any], sandbox: Sandbox
) -> None:
    key_file = tmp_path / "muster.keys.json"
    original = Keyring.generate()
    write_keys(key_file, original)
    held = tmp_path / "held"
    env = sandbox_env(
        tmp_path, sandbox, **database_env(database), MUSTER_KEY_FILE=str(key_file),
        HELD_CHECKINS_DIR=str(held),
    )  # fmt: skip
    code, out, err = await muster(tmp_path, "check-config", env=env)
    assert code == 0, err
    assert "-m bot migrate`" in out  # no tables yet (or no SQLite file yet)
    # `reencrypt` migrates and records the keys, as the first start does.
    code, out, err = await muster(tmp_path, "reencrypt", env=env)
    assert code == 0, err
    code, out, err = await muster(tmp_path, "check-config", env=env)
    assert code == 0, err
    assert "Keys: match" in out

    write_keys(key_file, Keyring.generate())  # a replaced key file
    for command in ("check-config", "run"):
        code, out, err = await muster(tmp_path, command, env=env)
        assert code == 2, (command, err)
        [last] = err.strip().splitlines()[-1:]
        assert "The configured keys do not match this database" in last, command
        assert last.count(". ") == 0, command  # one sentence
        assert "Traceback" not in err
        secret = json.loads(key_file.read_text())["encryption_keys"]["k1"]
        assert secret not in out + err

    # Rotation: a new current key beside the old one, re-encrypt, then drop the old one. A
    # check-in held in the spool (the process stopped with the database busy) goes along.
    hold(held, original, 7)
    rotated = keyring_with(
        original.pseudonym_key, {"k2": secrets.token_bytes(32), **original.encryption_keys}, "k2"
    )
    only_new = keyring_with(original.pseudonym_key, {"k2": rotated.encryption_keys["k2"]}, "k2")
    write_keys(key_file, rotated)
    code, out, err = await muster(tmp_path, "reencrypt", env=env)
    assert code == 0, err
    assert "can be removed" in out
    assert Spool(held, only_new).held() == [(7, HELD)]
    write_keys(key_file, only_new)
    code, out, err = await muster(tmp_path, "check-config", env=env)
    assert code == 0, err

    # A check-in held under the old key after `reencrypt` (a process still running with it):
    # without the old key, check-config and run refuse, and say so in one sentence.
    hold(held, original, 8)
    for command in ("check-config", "run"):
        code, out, err = await muster(tmp_path, command, env=env)
        assert code == 2, (command, err)
        [last] = err.strip().splitlines()[-1:]
        assert "encryption key 'k1', which 1 held check-in(s) in" in last, (command, last)
        assert "Traceback" not in err


async def test_data_from_before_check_values_must_open_with_the_first_recorded_key(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """An existing deployment upgrading: nothing recorded yet, but data is stored."""
    keyring = Keyring.generate()
    reminders = ReminderService(sessions, clock, keyring, Scheduler(sessions, clock))
    await reminders.create(
        user_id=5, guild_id=None, kind="court", text="Court at 9",
        event_at=clock.now() + timedelta(days=3), zone="UTC", interaction_id=1,
    )  # fmt: skip
    replaced = keyring_with(keyring.pseudonym_key, Keyring.generate().encryption_keys, "k1")
    with pytest.raises(ConfigError, match="encryption key 'k1' does not open the data stored"):
        await key_checks.verify_and_record(sessions, replaced, clock)
    async with sessions() as session:
        assert list(await session.scalars(select(KeyCheck))) == []  # nothing recorded
    await key_checks.verify_and_record(sessions, keyring, clock)


async def test_blocks_keep_applying_because_a_replaced_pseudonym_key_is_refused(
    world: World, bot_settings: Settings, clock: FakeClock
) -> None:
    """Blocks are stored against the member's key (an HMAC under the pseudonym key): with
    another pseudonym key they would silently stop applying, so such a start is refused."""
    sandbox = world.sandbox
    keyring = Keyring.generate()
    async with start_bot(bot_settings, clock, keyring=keyring) as running:
        group = await configure(running, world)
        post = await post_anonymously(running, world, clock, group)
        options = (await sandbox.click(world.moderator, post, "anon:options")).messages[0]
        block = next(c for c in options.custom_ids() if c.startswith("anon:block7:"))
        await sandbox.click(world.moderator, options, block)
    other_pseudonym = keyring_with(secrets.token_bytes(32), keyring.encryption_keys, "k1")
    with pytest.raises(ConfigError, match="the pseudonym key is not the one"):
        async with start_bot(bot_settings, clock, keyring=other_pseudonym):
            pass
    await clock.advance(timedelta(hours=1))
    async with start_bot(bot_settings, clock, keyring=keyring):
        paused = await sandbox.slash(world.member, world.general, "checkin now",
                                     **checkin_options(share="anonymous"))  # fmt: skip
        assert "a moderator paused your anonymous posting here" in paused.text
