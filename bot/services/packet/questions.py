"""The member's own "questions for my provider": a short list they keep for the visit
packet. Private: each row is found by its sealed owner and its text is encrypted, like the
medication log (bot/services/checkins/medications.py)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import SessionFactory
from bot.db.models import ProviderQuestion
from bot.errors import UserFacingError
from bot.keys import Keyring
from bot.services.crypto import UNREADABLE, decrypt_or_none, seal
from bot.services.feature_data import Owner, Rotate, Sections
from bot.services.ownership import Owners, one_at_a_time, owned_rows, request_digest
from bot.services.packet.offers import rotate_names
from bot.services.text import clean_text

TABLE = "provider_questions"
MAX_QUESTIONS = 10  # a short list: the packet shows them all on its first page
MAX_LENGTH = 200
# One sealed length for every question: 200 characters are at most 800 bytes of UTF-8.
QUESTION_SIZES = (4 * MAX_LENGTH,)


@dataclass(frozen=True)
class Question:
    id: int
    number: int  # 1, 2, ... in the order they were added: what the member picks by
    text: str
    readable: bool = True


def text_context(request_digest: str) -> str:
    """What a question's text is sealed under (stored: never changed)."""
    return f"question:{request_digest}"


def _context(row: ProviderQuestion) -> str:
    return text_context(row.request_digest)


def text_of(keyring: Keyring, row: ProviderQuestion) -> str | None:
    text = decrypt_or_none(
        keyring, row.text_encrypted, context=_context(row), what="question for a provider"
    )
    return None if text is None else text.rstrip(" ")  # sealed padded (see QUESTION_SIZES)


class QuestionService:
    def __init__(self, sessions: SessionFactory, clock: Clock, keyring: Keyring) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keyring = keyring
        self._owners = Owners(keyring)

    async def add(self, user_id: int, text: str, *, request_key: int) -> builtins.list[Question]:
        """Add one question, once per submission (R15); the whole list comes back."""
        cleaned = clean_text(text, field="Question", max_length=MAX_LENGTH)
        digest = request_digest(self._keyring, request_key)
        try:
            async with self._sessions.begin() as session:
                # Two additions at once wait for each other: each counts the other's question.
                await one_at_a_time(session, self._keyring, TABLE, user_id)
                if await session.scalar(
                    select(ProviderQuestion.id).where(ProviderQuestion.request_digest == digest)
                ):
                    return self._views(await self._rows(session, user_id))
                rows = await self._rows(session, user_id)
                if len(rows) >= MAX_QUESTIONS:
                    raise UserFacingError(
                        f"Your list is full ({MAX_QUESTIONS} questions). Remove one with "
                        "`/checkin questions remove` to make room."
                    )
                session.add(
                    ProviderQuestion(
                        owner=self._owners.seal_user(TABLE, user_id),
                        request_digest=digest,
                        text_encrypted=seal(
                            self._keyring,
                            cleaned,
                            context=text_context(digest),
                            sizes=QUESTION_SIZES,
                        ),
                    )
                )
        except IntegrityError:
            pass  # the same submission twice at once: the other one saved it
        return await self.list(user_id)

    async def list(self, user_id: int) -> builtins.list[Question]:
        async with self._sessions() as session:
            return self._views(await self._rows(session, user_id))

    async def remove(self, user_id: int, question_id: int) -> Question | None:
        """Remove the member's question `question_id` (its `Question.id`, never its place in
        the list: a removal sent again removes nothing more). None if it is not in their list
        (removed already, or never theirs)."""
        async with self._sessions.begin() as session:
            rows = await self._rows(session, user_id)
            found = [view for view in self._views(rows) if view.id == question_id]
            if not found:
                return None
            await session.execute(
                delete(ProviderQuestion).where(ProviderQuestion.id == question_id)
            )
        return found[0]

    async def _rows(self, session: AsyncSession, user_id: int) -> builtins.list[ProviderQuestion]:
        return await owned_rows(session, self._owners, ProviderQuestion, user_id)

    def _views(self, rows: builtins.list[ProviderQuestion]) -> builtins.list[Question]:
        views = []
        for number, row in enumerate(rows, start=1):
            text = text_of(self._keyring, row)
            views.append(
                Question(row.id, number, UNREADABLE if text is None else text, text is not None)
            )
        return views


class QuestionData:
    """The packet's share of /mydata (its questions) and of key rotation (its questions, and
    the sealed names of packets still to send)."""

    tables: tuple[str, ...] = (TABLE,)

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._owners = Owners(keyring)

    async def export(self, session: AsyncSession, user_id: int) -> Sections:
        rows = await owned_rows(session, self._owners, ProviderQuestion, user_id)
        return {
            "questions_for_my_provider": [
                {
                    "question": text
                    if (text := text_of(self._keyring, row)) is not None
                    else UNREADABLE
                }
                for row in rows
            ]
        }

    async def delete(self, session: AsyncSession, user_id: int) -> dict[str, int]:
        ids = [row.id for row in await owned_rows(session, self._owners, ProviderQuestion, user_id)]
        if ids:
            await session.execute(delete(ProviderQuestion).where(ProviderQuestion.id.in_(ids)))
        return {"questions_for_my_provider": len(ids)}

    async def reencrypt(self, session: AsyncSession, rotate: Rotate, owner: Owner) -> None:
        for question in await session.scalars(select(ProviderQuestion)):
            question.owner = owner(TABLE, question.owner)
            question.text_encrypted = rotate(
                question.text_encrypted, text_context(question.request_digest)
            )
        await rotate_names(session, rotate)
