"""Validates request bodies against Discord's OpenAPI description, where that file is present."""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:discord-openapi"
DEFAULT_SPEC_PATH = (
    Path(__file__).resolve().parents[2].parent / "shared" / "discord-api-spec" / "openapi.json"
)


class SpecValidator:
    def __init__(self, path: Path) -> None:
        document = json.loads(path.read_text(encoding="utf-8"))
        # discord.py sends some snowflakes as integers; Discord accepts both.
        document["components"]["schemas"]["SnowflakeType"] = {
            "anyOf": [
                {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"},
                {"type": "integer", "minimum": 0},
            ]
        }
        # Permission bit sets are typed as integers, but Discord documents them as strings and
        # accepts both; discord.py sends a new role's as a string.
        bits = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}]}
        schemas = document["components"]["schemas"]
        schemas["CreateRoleRequest"]["properties"]["permissions"] = {
            "anyOf": [bits, {"type": "null"}]
        }
        self._paths: dict[str, Any] = document["paths"]
        resource: Resource[Any] = DRAFT202012.create_resource(document)
        self._registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self._validators: dict[tuple[str, str], Draft202012Validator | None] = {}
        # Every start of the bot syncs the same command list, which takes the validator a
        # quarter of a second: the same body always gets the same answer, so it is kept.
        self._checked = lru_cache(maxsize=256)(self._check)

    def validate(self, method: str, template: str, body: Any) -> str | None:
        """None when valid (or when the description has no schema), else the clearest error."""
        return self._checked(method, template, json.dumps(body))

    def _check(self, method: str, template: str, body_json: str) -> str | None:
        validator = self._validator(method.lower(), template)
        if validator is None:
            return None
        error = best_match(validator.iter_errors(json.loads(body_json)))
        if error is None:
            return None
        error = _prune_union(error)
        where = "/".join(str(part) for part in error.absolute_path) or "body"
        return f"{method} {template}: {where}: {error.message[:300]}"

    def _validator(self, method: str, template: str) -> Draft202012Validator | None:
        key = (method, template)
        if key not in self._validators:
            operation = self._paths.get(template, {}).get(method)
            content = (operation or {}).get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                self._validators[key] = None
            else:
                pointer = "/".join(
                    part.replace("~", "~0").replace("/", "~1")
                    for part in (
                        "paths",
                        template,
                        method,
                        "requestBody",
                        "content",
                        "application/json",
                        "schema",
                    )
                )
                schema = {"$ref": f"{SPEC_URI}#/{quote(pointer, safe='/~')}"}
                self._validators[key] = Draft202012Validator(schema, registry=self._registry)
        return self._validators[key]


@cache
def load_default_validator() -> SpecValidator | None:
    """The shared description when it sits beside the project; a fresh clone may lack it."""
    return SpecValidator(DEFAULT_SPEC_PATH) if DEFAULT_SPEC_PATH.exists() else None


def _prune_union(error: Any) -> Any:
    """For a failed union, report the branch whose `type` matched, not the whole union."""
    while error.context:
        wrong_type = {
            sub.schema_path[0] for sub in error.context if list(sub.relative_path) == ["type"]
        }
        remaining = [sub for sub in error.context if sub.schema_path[0] not in wrong_type]
        if not remaining:
            break
        error = best_match(remaining)
    return error
