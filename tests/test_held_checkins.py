"""R29: a check-in the member was told is held is never lost. It is in the spool before they
are told; it survives SIGTERM and `kill -9` of the real process; it is saved exactly once at
the next start, and the spool is empty afterwards."""

from __future__ import annotations

import asyncio
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.config import Settings, load_settings
from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.models import Checkin
from bot.keys import Keyring
from bot.scheduling import Scheduler
from bot.services.checkins import CheckinDraft, CheckinService, Spool
from bot.services.ownership import request_digest
from tests.conftest import World, database_unavailable, eventually
from tests.test_checkins_e2e import checkin_options
from tests.test_crash_recovery import bot_process

NOTE = "kept safe while the database was busy"


def draft(request_key: int = 1001) -> CheckinDraft:
    return CheckinDraft(
        user_id=42, guild_id=None, request_key=request_key, mood=3, sleep="7",
        cravings="none", sober="yes", note=NOTE, share="private",
    )  # fmt: skip


async def stored(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Checkin)) or 0)


def held_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.held")) if folder.is_dir() else []


async def test_held_is_spooled_before_the_member_hears_it_and_replayed_once(
    make_settings: Any, sessions: SessionFactory, clock: FakeClock, tmp_path: Path
) -> None:
    settings: Settings = make_settings()
    keyring = Keyring.generate()
    spool = Spool(tmp_path / "spool", keyring)
    spool.open()
    first = CheckinService(sessions, clock, keyring, Scheduler(sessions, clock), spool)
    first.save_wait = first.decide_budget = 0.5
    async with database_unavailable(settings):
        result = await first.submit(draft(), None)
        assert result.held
        [kept] = held_files(spool.folder)  # already on disk when "held" is returned
        assert NOTE.encode() not in kept.read_bytes()  # encrypted
        assert kept.stat().st_mode & 0o777 == 0o600
        await first.close()  # a stop while the database is still busy: the file stays
    assert held_files(spool.folder) == [kept]
    copy = tmp_path / "copy.held"
    shutil.copy(kept, copy)

    restarted = CheckinService(sessions, clock, keyring, Scheduler(sessions, clock), spool)
    assert restarted.replay_held() == 1
    await eventually(lambda: _empty(spool.folder), what="the spool to be released")
    assert await stored(sessions) == 1
    async with sessions() as session:
        row = await session.scalar(select(Checkin))
    assert row is not None
    assert row.request_digest == request_digest(keyring, 1001)  # the same submission

    # Saved, then a crash before the file was removed: replaying it saves nothing new (R15).
    shutil.copy(copy, kept)
    again = CheckinService(sessions, clock, keyring, Scheduler(sessions, clock), spool)
    assert again.replay_held() == 1
    await eventually(lambda: _empty(spool.folder), what="the spool to be released")
    assert await stored(sessions) == 1
    await again.close()
    await restarted.close()


async def _empty(folder: Path) -> bool:
    return not held_files(folder)


async def test_a_quick_save_leaves_nothing_in_the_spool(
    sessions: SessionFactory, clock: FakeClock, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool", Keyring.generate())
    spool.open()
    service = CheckinService(sessions, clock, Keyring.generate(), Scheduler(sessions, clock), spool)
    result = await service.submit(draft(), None)
    assert not result.held
    assert held_files(spool.folder) == []
    await service.close()


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["kill -9", "SIGTERM"])
async def test_a_held_checkin_survives_the_real_process_stopping(
    tmp_path: Path, world: World, database: dict[str, Any], stop: str
) -> None:
    settings = load_settings(**database)
    sandbox = world.sandbox
    async with bot_process(tmp_path, world, database) as first, database_unavailable(settings):
        result = await sandbox.slash(
            world.member, world.general, "checkin now", timeout=30,
            **checkin_options(share="private"),
        )  # fmt: skip
        await sandbox.wait_for(
            lambda: "holding on to it" in result.text, timeout=30, what="the held notice"
        )
        if stop == "kill -9":
            first.kill()
        else:
            first.send_signal(signal.SIGTERM)
        await asyncio.wait_for(first.wait(), timeout=40)
    if stop == "SIGTERM":
        assert first.returncode == 0
    spool = tmp_path / "muster.held-checkins" if "sqlite" in database["database_url"] else None
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    try:
        assert await stored(sessions) == 0  # the database never had it
        async with bot_process(tmp_path, world, database):

            async def saved() -> bool:
                return await stored(sessions) == 1

            await eventually(saved, timeout=30, what="the held check-in to be saved")
        async with bot_process(tmp_path, world, database):  # and a later start adds nothing
            await asyncio.sleep(1)
        assert await stored(sessions) == 1
    finally:
        await engine.dispose()
    folder = spool or tmp_path / "data" / f"held-checkins-{database['database_schema']}"
    assert folder.is_dir()
    assert held_files(folder) == []


async def test_a_stop_spools_check_ins_still_waiting_for_their_answer(
    make_settings: Any, sessions: SessionFactory, clock: FakeClock, tmp_path: Path
) -> None:
    keyring = Keyring.generate()
    spool = Spool(tmp_path / "spool", keyring)
    spool.open()
    service = CheckinService(sessions, clock, keyring, Scheduler(sessions, clock), spool)
    service.decide_budget, service.save_wait = 0.2, 60.0  # stopped before the answer
    async with database_unavailable(make_settings()):
        waiting = asyncio.create_task(service.submit(draft(), None))
        await asyncio.sleep(1)  # queued; the member has not been answered yet
        assert held_files(spool.folder) == []
        await service.close()
        assert len(held_files(spool.folder)) == 1
        assert not waiting.done()
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
