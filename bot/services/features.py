"""Every feature's hooks for /mydata, retention, key rotation and server purges, in one list:
`PrivacyService` exports and deletes through them in this order (the order of /mydata's
sections), `RetentionService` expires and purges through them, and `KeyRotation`
re-encrypts through them."""

from __future__ import annotations

from bot.keys import Keyring
from bot.services.audit import AuditData
from bot.services.checkins import AnonymousBlockData, CheckinData, JournalData
from bot.services.feature_data import FeatureData
from bot.services.measures import MeasureData
from bot.services.meetings import MeetingData
from bot.services.mentors import MentorRequestData
from bot.services.packet import QuestionData
from bot.services.reminders import MemberSettingsData, ReminderData
from bot.services.resources import ResourceData
from bot.services.taper import TaperData


def feature_hooks(keyring: Keyring) -> list[FeatureData]:
    return [
        ReminderData(keyring),
        MemberSettingsData(),
        MeetingData(),
        CheckinData(keyring),
        JournalData(keyring),
        AnonymousBlockData(keyring),
        AuditData(),
        MentorRequestData(),
        TaperData(keyring),
        MeasureData(keyring),
        QuestionData(keyring),
        ResourceData(),
    ]
