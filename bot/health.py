"""For operators: /healthz and /metrics on a local port (HEALTH_PORT; off when unset).

/healthz answers 200 when the gateway is connected, the database answers, and the
scheduler's alarm is set; otherwise 503, saying which part is down. /metrics is the
Prometheus text format, from the standard client library, with a registry of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.db.models import Guild, Occurrence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.app import MusterBot
    from bot.clock import Clock

DATABASE_CHECK_BUDGET = 1.0
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


class _Deliveries(Collector):
    """Scheduler rows by state, read at scrape time; the numbers live in the database."""

    def __init__(self) -> None:
        self.by_state: dict[str, int] = {}
        self.due_now = 0

    def collect(self) -> Iterator[GaugeMetricFamily]:
        states = GaugeMetricFamily(
            "muster_deliveries", "Scheduled deliveries by state", labels=["state"]
        )
        for state, count in sorted(self.by_state.items()):
            states.add_metric([state], count)
        yield states
        yield GaugeMetricFamily(
            "muster_queue_depth", "Deliveries due now and not yet sent", value=self.due_now
        )


class Health:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self.bot: MusterBot | None = None  # attached once the bot exists
        self.registry = CollectorRegistry()
        self.interactions = Counter(
            "muster_interactions",
            "Interactions received, by type",
            ["type"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "muster_interaction_latency_seconds",
            "From Discord creating an interaction to Muster receiving it",
            registry=self.registry,
        )
        self.last_dispatch = Gauge(
            "muster_last_dispatch_timestamp_seconds",
            "When the scheduler last ran",
            registry=self.registry,
        )
        self.rate_limit_waits = Histogram(
            "muster_rate_limit_wait_seconds",
            "Time a request waited for Muster's own rate limiter",
            registry=self.registry,
        )
        self._deliveries = _Deliveries()
        self.registry.register(self._deliveries)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def observe(self, kind: str, created_at_seconds: float) -> None:
        self.interactions.labels(type=kind).inc()
        self.latency.observe(max(time.time() - created_at_seconds, 0.0))

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def report(self) -> dict[str, Any]:
        bot = self.bot
        now = self._clock.now()
        dispatcher = bot.dispatcher if bot is not None else None
        database = await self._database_answers()
        # The alarm is always set a little ahead; one far in the past means it stopped ringing.
        armed_for = dispatcher.armed_for if dispatcher is not None else None
        scheduler_alive = armed_for is not None and armed_for >= now - timedelta(minutes=2)
        last = dispatcher.last_run if dispatcher is not None else None
        return {
            "gateway": bot is not None and bot.is_ready() and not bot.is_closed(),
            "database": database,
            "scheduler": bool(scheduler_alive),
            "last_dispatch": last.isoformat() if last is not None else None,
        }

    async def _database_answers(self) -> bool:
        try:
            async with asyncio.timeout(DATABASE_CHECK_BUDGET):
                async with self._engine.connect() as connection:
                    # A real table: "SELECT 1" answers even when every table is locked.
                    await connection.execute(select(Guild.guild_id).limit(1))
        except Exception:  # any failure means "not answering"; the report says so
            return False
        return True

    async def _healthz(self, request: web.Request) -> web.Response:
        report = await self.report()
        healthy = report["gateway"] and report["database"] and report["scheduler"]
        return web.json_response(report, status=200 if healthy else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        dispatcher = self.bot.dispatcher if self.bot is not None else None
        if dispatcher is not None and dispatcher.last_run is not None:
            self.last_dispatch.set(dispatcher.last_run.timestamp())
        # If the database is slow, the numbers stay as last read; /healthz reports it.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(DATABASE_CHECK_BUDGET):
                await self._refresh_deliveries()
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": PROMETHEUS_TEXT}
        )

    async def _refresh_deliveries(self) -> None:
        now = self._clock.now()
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(Occurrence.state, func.count()).group_by(Occurrence.state)
            )
            self._deliveries.by_state = {state: count for state, count in rows.all()}
            due = await connection.scalar(
                select(func.count())
                .select_from(Occurrence)
                .where(Occurrence.state == "pending", Occurrence.available_at <= now)
            )
            self._deliveries.due_now = int(due or 0)
