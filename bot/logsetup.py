"""Logging that keeps member data out (R17).

Our own code never logs message content, modal values, tokens or user ids. As a second
line of defence the formatter masks anything shaped like a Discord token or snowflake,
and discord.py's chattiest loggers are capped at INFO so their DEBUG payloads never show.
Libraries that only chatter (APScheduler's line per job run, aiosqlite...) are capped at
WARNING.
"""

from __future__ import annotations

import logging
import re
import sys

_TOKEN = re.compile(r"[\w-]{20,}\.[\w-]{5,}\.[\w-]{20,}")
_SNOWFLAKE = re.compile(r"(?<![\w.-])\d{17,20}(?![\w.-])")
_CAPPED_LOGGERS = ("discord.http", "discord.gateway", "discord.client", "discord.state")


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        text = _TOKEN.sub("[token]", text)
        return _SNOWFLAKE.sub("[id]", text)


def configure_logging(level: str) -> None:
    """Install the redacting handler once, and cap the loggers that would leak payloads."""
    root = logging.getLogger()
    if not any(isinstance(handler.formatter, RedactingFormatter) for handler in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            RedactingFormatter(
                "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S%z"
            )
        )
        root.addHandler(handler)
    root.setLevel(level)
    for name in _CAPPED_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
    # APScheduler would log "Running job" and "executed successfully" at INFO for every ring
    # of the alarm (at least every 30 s): noise that hides what operators need to see.
    for name in ("aiosqlite", "asyncio", "sqlalchemy.engine", "alembic", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
