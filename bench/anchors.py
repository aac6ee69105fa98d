"""Physical anchors for the check-in figures: what plain sqlite3 (no asyncio, no SQLAlchemy)
manages on the same disk, so Muster's numbers can be read against the machine.

    python bench/anchors.py [--seconds 2] [--folder DIR]

- commits per second: one small row per transaction, WAL, synchronous=NORMAL (Muster's
  setting: survives a process crash, not a power loss) and synchronous=FULL (survives both);
- batched rows per second: 500 rows per transaction with executemany, WAL and NORMAL;
- check-in rows per second: the same batches, but rows shaped as Muster stores check-ins
  (the `checkins` table and its indexes, random ids, sealed values of their real stored
  lengths, about 5 KB a row): what the disk allows the check-in writer at best.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path

ROW = "INSERT INTO t (member, mood, note, at) VALUES (?, ?, ?, ?)"
BATCH = 500


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, member TEXT, mood INTEGER, "
        "note BLOB, at TEXT)"
    )
    return connection


def commits_per_second(folder: Path, synchronous: str, seconds: float) -> float:
    connection = _connect(folder / f"commits-{synchronous}.db", synchronous)
    done = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(ROW, (f"{done:064d}", 3, b"x" * 60, "2026-12-01T12:00:00+00:00"))
        connection.execute("COMMIT")
        done += 1
    elapsed = time.perf_counter() - started
    connection.close()
    return done / elapsed


def batched_rows_per_second(folder: Path, seconds: float) -> float:
    connection = _connect(folder / "batched.db", "NORMAL")
    done = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        rows = [
            (f"{done + n:064d}", 3, b"x" * 60, "2026-12-01T12:00:00+00:00") for n in range(BATCH)
        ]
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(ROW, rows)
        connection.execute("COMMIT")
        done += BATCH
    elapsed = time.perf_counter() - started
    connection.close()
    return done / elapsed


def _checkin_shape() -> tuple[list[str], tuple[int, int, int]]:
    """The `checkins` table's DDL for SQLite, and the stored lengths of a row's sealed owner,
    data and note (what Muster's seals produce, padded to their one size each)."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from bot.db.models import Checkin
    from bot.keys import Keyring
    from bot.services.checkins.sealed import CONTENT_SIZES, DATA_SIZES
    from bot.services.crypto import seal
    from bot.services.ownership import OWNER_SIZES

    table = Checkin.__table__
    dialect = sqlite.dialect()
    ddl = [str(CreateTable(table).compile(dialect=dialect))]  # type: ignore[arg-type]
    ddl += [str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes]  # type: ignore[attr-defined]
    keyring = Keyring.generate()
    owner, data, note = (
        len(seal(keyring, "x", context="c", sizes=sizes))
        for sizes in (OWNER_SIZES, DATA_SIZES, CONTENT_SIZES)
    )
    return ddl, (owner, data, note)


def checkin_rows_per_second(folder: Path, seconds: float) -> float:
    """Batches of BATCH check-in-shaped rows, WAL and NORMAL, as the check-in writer sends
    them (one INSERT ... ON CONFLICT DO NOTHING, executemany), the values made beforehand."""
    from bot.services.checkins.ids import RANDOM_IDS

    ddl, (owner, data, note) = _checkin_shape()
    connection = sqlite3.connect(folder / "checkins.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    for statement in ddl:
        connection.execute(statement)
    insert = (
        "INSERT INTO checkins (id, guild_id, week, owner, request_digest, data, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_digest) DO NOTHING"
    )
    low, high = RANDOM_IDS
    used: set[int] = set()  # as `fresh_ids` does, never an id the table holds already
    done = 0
    spent = 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        ids: set[int] = set()
        while len(ids) < BATCH:
            ids |= {secrets.randbelow(high - low) + low for _ in range(BATCH - len(ids))} - used
        used |= ids
        rows = [
            (row_id, 1, "2026-11-30", os.urandom(owner), secrets.token_hex(32),
             os.urandom(data), os.urandom(note))
            for row_id in ids
        ]  # fmt: skip
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(insert, rows)
        connection.execute("COMMIT")
        spent += time.perf_counter() - started
        done += len(rows)
    connection.close()
    return done / spent  # the database's time only, not making the rows


def run(folder: Path, seconds: float) -> dict[str, float]:
    return {
        "commits_per_second_normal": commits_per_second(folder, "NORMAL", seconds),
        "commits_per_second_full": commits_per_second(folder, "FULL", seconds),
        "batched_rows_per_second": batched_rows_per_second(folder, seconds),
        "checkin_rows_per_second": checkin_rows_per_second(folder, seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--folder", type=Path, help="where the files go (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        results = run(Path(folder), args.seconds)
    print(f"plain sqlite3 on this disk: {results['commits_per_second_normal']:.0f} commits/s "
          f"(WAL, NORMAL), {results['commits_per_second_full']:.0f} commits/s (WAL, FULL), "
          f"{results['batched_rows_per_second']:.0f} rows/s in batches of {BATCH}, "
          f"{results['checkin_rows_per_second']:.0f} check-in-shaped rows/s in batches "
          f"of {BATCH}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
