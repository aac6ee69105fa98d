"""Domain services: plain ids and aware datetimes in, frozen dataclasses out. No discord here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock, CorrectedClock
from bot.db.engine import SessionFactory
from bot.keys import Keyring
from bot.scheduling import LEASE, Kind, Scheduler
from bot.services.audit import AuditService
from bot.services.checkins import (
    MILESTONE,
    PROMPT,
    RELEASE,
    SUMMARY,
    AnonymousPostService,
    CheckinService,
    MedicationService,
    PromptService,
    SobrietyService,
    Spool,
    SummaryService,
)
from bot.services.features import feature_hooks
from bot.services.guild_settings import GuildSettingsService
from bot.services.guilds import GuildService
from bot.services.measures import MEASURE, MeasureService
from bot.services.meetings import MEETING, MeetingService
from bot.services.mentors import MENTOR_FOLLOW_UP, MENTOR_POST, MentorRequests
from bot.services.packet import PACKET, PacketOffers, PacketService, QuestionService
from bot.services.privacy import PrivacyService
from bot.services.reminders import REMINDER, MemberSettingsService, ReminderService
from bot.services.resources import RecoveryMeetingService, ResourceService
from bot.services.retention import RETENTION_JOB, RetentionService
from bot.services.taper import TAPER_STEP, TaperService

# Every kind of delivery the features book. The dispatcher refuses to start while one of them
# has no sender registered (its cog's cog_load registers it).
KINDS: tuple[Kind, ...] = (
    REMINDER, PACKET, MEETING, RELEASE, MILESTONE, PROMPT, SUMMARY, MEASURE, TAPER_STEP,
    MENTOR_POST, MENTOR_FOLLOW_UP, RETENTION_JOB,
)  # fmt: skip


@dataclass(frozen=True)
class Services:
    """Everything the cogs may call, built once at start-up and injected."""

    clock: Clock
    keyring: Keyring
    guilds: GuildService
    guild_settings: GuildSettingsService
    audit: AuditService
    scheduler: Scheduler
    member_settings: MemberSettingsService
    reminders: ReminderService
    meetings: MeetingService
    privacy: PrivacyService
    retention: RetentionService
    resources: ResourceService
    recovery_meetings: RecoveryMeetingService
    checkins: CheckinService
    anonymous: AnonymousPostService
    medications: MedicationService
    sobriety: SobrietyService
    prompts: PromptService
    summaries: SummaryService
    mentor_requests: MentorRequests
    taper: TaperService
    measures: MeasureService
    questions: QuestionService
    packets: PacketService
    packet_offers: PacketOffers

    async def zone_of(self, user_id: int, guild_id: int | None) -> str:
        """The zone a member's times are shown in: their own, else their group's, else UTC."""
        zone = await self.member_settings.timezone(user_id)
        if zone is None and guild_id is not None:
            zone = (await self.guild_settings.get(guild_id)).timezone
        return zone or "UTC"


def build_services(
    sessions: SessionFactory,
    keyring: Keyring,
    clock: Clock,
    *,
    lease: timedelta = LEASE,
    worker_id: str | None = None,
    spool: Spool | None = None,
    reads: SessionFactory | None = None,
) -> Services:
    """`reads` opens sessions that only read and never wait behind writes (SQLite: a second
    connection); the hot per-member reads use it."""
    scheduler = Scheduler(sessions, clock, lease=lease, worker_id=worker_id)
    # One clock (R8): what a service books or compares is by the scheduler's clock (the
    # database's, on PostgreSQL), so "in 30 minutes" means the same on every host.
    clock = CorrectedClock(clock, lambda: scheduler.offset)
    anonymous = AnonymousPostService(sessions, clock, keyring)
    checkins = CheckinService(sessions, clock, keyring, scheduler, spool, reads=reads)
    medications = MedicationService(sessions, clock, keyring)
    sobriety = SobrietyService(sessions, clock, keyring, scheduler)
    questions = QuestionService(sessions, clock, keyring)
    taper = TaperService(sessions, clock, keyring, scheduler, reads=reads)
    measures = MeasureService(sessions, clock, keyring, scheduler)
    reminders = ReminderService(sessions, clock, keyring, scheduler)
    prompts = PromptService(sessions, clock, scheduler)
    packet_offers = PacketOffers(sessions, clock, keyring, scheduler)
    # Everything booked by the member's own zone moves with it when they set another.
    member_settings = MemberSettingsService(
        sessions, clock, reads=reads, scheduler=scheduler,
        zone_followers=(
            reminders.follow_zone, packet_offers.follow_zone, taper.follow_zone,
            measures.follow_zone, prompts.follow_zone, sobriety.follow_zone,
        ),
    )  # fmt: skip
    guild_settings = GuildSettingsService(sessions, clock, reads=reads)
    return Services(
        clock=clock,
        keyring=keyring,
        guilds=GuildService(sessions, clock),
        guild_settings=guild_settings,
        audit=AuditService(sessions),
        scheduler=scheduler,
        member_settings=member_settings,
        reminders=reminders,
        meetings=MeetingService(sessions, clock, scheduler),
        privacy=PrivacyService(
            sessions,
            clock,
            feature_hooks(keyring),
            forget=(checkins.forget, member_settings.forget),
        ),
        retention=RetentionService(sessions, clock, keyring, forget_guild=(guild_settings.forget,)),
        resources=ResourceService(sessions, clock),
        recovery_meetings=RecoveryMeetingService(sessions, clock),
        checkins=checkins,
        anonymous=anonymous,
        medications=medications,
        sobriety=sobriety,
        prompts=prompts,
        summaries=SummaryService(sessions, clock, keyring, scheduler),
        mentor_requests=MentorRequests(sessions, clock, scheduler, anonymous),
        taper=taper,
        measures=measures,
        questions=questions,
        packets=PacketService(clock, checkins, medications, sobriety, questions, taper, measures),
        packet_offers=packet_offers,
    )
