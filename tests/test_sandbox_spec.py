"""The sandbox checks request bodies against Discord's OpenAPI description (when the file is
beside the repository, as in CI). It keeps each answer, so the command list every start of
the bot syncs is checked once; a body that differs is still checked."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.spec import DEFAULT_SPEC_PATH, SpecValidator

pytestmark = pytest.mark.skipif(
    not DEFAULT_SPEC_PATH.exists(),
    reason="Discord's OpenAPI description is not beside the repository",
)

COMMAND_SYNC = "/applications/{application_id}/guilds/{guild_id}/commands"


def test_a_command_list_is_checked_again_once_it_changes() -> None:
    spec = SpecValidator(DEFAULT_SPEC_PATH)
    commands: list[dict[str, Any]] = [{"name": "about", "description": "What Muster is", "type": 1}]
    assert spec.validate("PUT", COMMAND_SYNC, commands) is None
    assert spec.validate("PUT", COMMAND_SYNC, commands) is None
    commands[0]["description"] = "x" * 101  # the same list, changed in place
    problem = spec.validate("PUT", COMMAND_SYNC, commands)
    assert problem is not None
    assert "0/description" in problem
    assert "is too long" in problem
    assert spec.validate("PUT", COMMAND_SYNC, commands) == problem
