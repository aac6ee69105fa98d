"""The sandbox's REST routes for answering interactions: the callback (held to the response
deadline and to answering once), followups, and the original and followup messages through
the interaction's webhook while its token lives."""

from __future__ import annotations

import time

from aiohttp import web

from bot.sandbox import limits
from bot.sandbox.base import (
    FILES,
    INTERACTION_TOKEN_LIFETIME,
    PAYLOAD,
    InteractionResult,
    SandboxBase,
    apply_edit,
)
from bot.sandbox.http import error_response as _error
from bot.sandbox.http import json_response as _json
from bot.sandbox.state import EPHEMERAL, Message


class InteractionRoutes(SandboxBase):
    """REST: interaction callbacks, followups, and the interaction webhook's messages."""

    def _live_interaction(self, token: str) -> InteractionResult | None:
        record = self.interactions_by_token.get(token)
        if record is None or time.monotonic() - record.created >= INTERACTION_TOKEN_LIFETIME:
            return None
        return record

    async def _callback(self, request: web.Request) -> web.Response:
        record = self.interactions.get(int(request.match_info["interaction_id"]))
        if record is None or record.token != request.match_info["interaction_token"]:
            return _error(404, 10062, "Unknown interaction")
        if time.monotonic() - record.created > self.response_deadline:
            record.rejected_callbacks.append(10062)
            self.violations.append(f"interaction answered after {self.response_deadline}s (10062)")
            return _error(404, 10062, "Unknown interaction")
        if record.acknowledged:
            record.rejected_callbacks.append(40060)
            self.violations.append("interaction answered twice (40060)")
            return _error(400, 40060, "Interaction has already been acknowledged.")
        body = request[PAYLOAD] or {}
        kind = body.get("type")
        data = body.get("data") or {}
        message: Message | None = None
        if kind in (4, 7):
            problems = limits.check_message(data)
            if problems:
                return self._violation("; ".join(problems))
        if kind == 4:
            message = self._store_message(record.channel_id, data, request[FILES], record)
            record.original = message
            record.messages.append(message)
        elif kind == 5:
            record.deferred_ephemeral = bool((data.get("flags") or 0) & EPHEMERAL)
        elif kind == 7:
            if record.source_message is None:
                return _error(400, 50035, "Only component interactions can update a message")
            message = record.source_message
            apply_edit(message, data, request[FILES])
            record.updated_message = message
        elif kind == 8:
            choices = data.get("choices") or []
            problems = limits.check_autocomplete(choices)
            if problems:
                return self._violation("; ".join(problems))
            record.choices = choices
        elif kind == 9:
            if record.type == 5:
                return self._violation("a modal cannot be the answer to a modal submit")
            problems = limits.check_modal(data)
            if problems:
                return self._violation("; ".join(problems))
            record.modal = data
        elif kind != 6:
            return _error(400, 50035, f"Unsupported callback type {kind}")
        record.response_type = kind
        record.acknowledged_at = time.monotonic()
        return _json(
            {
                "interaction": {
                    "id": str(record.id),
                    "type": record.type,
                    "response_message_id": str(message.id) if message is not None else None,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(message and message.ephemeral)
                    or record.deferred_ephemeral,
                },
                "resource": {
                    "type": kind,
                    **(
                        {"message": message.to_json(self.base_url, self.application_id)}
                        if message
                        else {}
                    ),
                },
            }
        )

    async def _followup(self, request: web.Request) -> web.Response:
        record = self._live_interaction(request.match_info["webhook_token"])
        if record is None or not record.acknowledged:
            return _error(404, 10015, "Unknown Webhook")
        data = request[PAYLOAD] or {}
        problems = limits.check_message(data)
        if problems:
            return self._violation("; ".join(problems))
        if record.response_type == 5 and not record.messages and record.deferred_ephemeral:
            # The first followup after an ephemeral defer replaces the "thinking" message.
            data = {**data, "flags": (data.get("flags") or 0) | EPHEMERAL}
        message = self._store_message(record.channel_id, data, request[FILES], record)
        record.messages.append(message)
        if record.original is None and record.response_type == 5:
            record.original = message
        return _json(message.to_json(self.base_url, self.application_id))

    async def _get_original(self, request: web.Request) -> web.Response:
        record = self._live_interaction(request.match_info["webhook_token"])
        if record is None or record.original is None:
            return _error(404, 10008, "Unknown Message")
        return _json(record.original.to_json(self.base_url, self.application_id))

    def _webhook_target(
        self, request: web.Request
    ) -> tuple[InteractionResult | None, Message | None]:
        record = self._live_interaction(request.match_info["webhook_token"])
        if record is None:
            return None, None
        message_id = request.match_info.get("message_id")
        if message_id is None:
            # For a button or select, "@original" is the message the component sits on.
            return record, record.original or record.source_message
        return record, next((m for m in record.messages if m.id == int(message_id)), None)

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        record, message = self._webhook_target(request)
        if record is None:
            return _error(404, 10015, "Unknown Webhook")
        data = request[PAYLOAD] or {}
        problems = limits.check_message(data)
        if problems:
            return self._violation("; ".join(problems))
        if message is None and record.response_type == 5 and "message_id" not in request.match_info:
            flags = EPHEMERAL if record.deferred_ephemeral else 0
            message = self._store_message(
                record.channel_id, {**data, "flags": flags}, request[FILES], record
            )
            record.original = message
            record.messages.append(message)
            return _json(message.to_json(self.base_url, self.application_id))
        if message is None:
            return _error(404, 10008, "Unknown Message")
        apply_edit(message, data, request[FILES])
        if message is record.source_message:
            record.updated_message = message  # a deferred update, now answered
        return _json(message.to_json(self.base_url, self.application_id))

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_target(request)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        message.deleted = True
        return web.Response(status=204)
