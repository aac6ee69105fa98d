"""Physical anchors for the check-in figures: what plain sqlite3 (no asyncio, no SQLAlchemy)
manages on the same disk, so Muster's numbers can be read against the machine.

    python bench/anchors.py [--seconds 2] [--folder DIR]

- commits per second: one small row per transaction, WAL, synchronous=NORMAL (Muster's
  setting: survives a process crash, not a power loss) and synchronous=FULL (survives both);
- batched rows per second: 500 rows per transaction with executemany, WAL and NORMAL.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
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


def run(folder: Path, seconds: float) -> dict[str, float]:
    return {
        "commits_per_second_normal": commits_per_second(folder, "NORMAL", seconds),
        "commits_per_second_full": commits_per_second(folder, "FULL", seconds),
        "batched_rows_per_second": batched_rows_per_second(folder, seconds),
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
          f"{results['batched_rows_per_second']:.0f} rows/s in batches of {BATCH}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
