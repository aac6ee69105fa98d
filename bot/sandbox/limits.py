"""Discord's hard limits that its OpenAPI description leaves out. Each check returns problems."""

from __future__ import annotations

import re
from typing import Any

COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
MAX_GLOBAL_CHAT_COMMANDS = 100


def check_message(payload: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    content = payload.get("content")
    if isinstance(content, str) and len(content) > 2000:
        problems.append(f"content is {len(content)} characters (limit 2000)")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        problems.append(f"{len(embeds)} embeds (limit 10)")
    total = 0
    for index, embed in enumerate(embeds):
        total += _check_embed(embed, index, problems)
    if total > 6000:
        problems.append(f"embeds hold {total} characters in total (limit 6000)")
    problems += check_components(payload.get("components") or [])
    return problems


def _check_embed(embed: dict[str, Any], index: int, problems: list[str]) -> int:
    def measure(label: str, text: Any, limit: int) -> int:
        if not isinstance(text, str):
            return 0
        if len(text) > limit:
            problems.append(f"embed {index} {label} is {len(text)} characters (limit {limit})")
        return len(text)

    total = measure("title", embed.get("title"), 256) + measure(
        "description", embed.get("description"), 4096
    )
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems.append(f"embed {index} has {len(fields)} fields (limit 25)")
    for item in fields:
        total += measure("field name", item.get("name"), 256) + measure(
            "field value", item.get("value"), 1024
        )
        if not item.get("name") or not item.get("value"):
            problems.append(f"embed {index} has a field with an empty name or value")
    total += measure("footer", (embed.get("footer") or {}).get("text"), 2048)
    total += measure("author", (embed.get("author") or {}).get("name"), 256)
    return total


def check_components(rows: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    if len(rows) > 5:
        problems.append(f"{len(rows)} action rows (limit 5)")
    seen: set[str] = set()
    for row in rows:
        children = row.get("components") or []
        buttons = [child for child in children if child.get("type") == 2]
        if len(buttons) > 5:
            problems.append(f"a row holds {len(buttons)} buttons (limit 5)")
        for child in children:
            custom_id = child.get("custom_id")
            if custom_id is not None:
                if len(custom_id) > 100:
                    problems.append(f"custom_id {custom_id[:20]!r}... is over 100 characters")
                if custom_id in seen:
                    problems.append(f"custom_id {custom_id!r} is used twice in one message")
                seen.add(custom_id)
            if child.get("type") == 2 and len(child.get("label") or "") > 80:
                problems.append("a button label is over 80 characters")
            if len(child.get("options") or []) > 25:
                problems.append("a select menu has more than 25 options")
            if len(child.get("placeholder") or "") > 150:
                problems.append("a select placeholder is over 150 characters")
    return problems


def check_modal(data: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if len(data.get("title") or "") > 45:
        problems.append(f"modal title is {len(data['title'])} characters (limit 45)")
    if len(data.get("custom_id") or "") > 100:
        problems.append("modal custom_id is over 100 characters")
    rows = data.get("components") or []
    if not 1 <= len(rows) <= 5:
        problems.append(f"modal has {len(rows)} components (1 to 5 allowed)")
    for row in rows:
        inputs = row.get("components") or ([row["component"]] if "component" in row else [])
        if row.get("type") == 18:
            if not 1 <= len(row.get("label") or "") <= 45:
                problems.append("a label's text must be 1 to 45 characters")
            if len(row.get("description") or "") > 100:
                problems.append("a label's description is over 100 characters")
        for item in inputs:
            if item.get("type") == 3:
                options = item.get("options") or []
                if not 1 <= len(options) <= 25:
                    problems.append(f"a select has {len(options)} options (1 to 25 allowed)")
                for option in options:
                    if not 1 <= len(option.get("label") or "") <= 100:
                        problems.append("a select option's label must be 1 to 100 characters")
                if len(item.get("placeholder") or "") > 150:
                    problems.append("a select's placeholder is over 150 characters")
                continue
            if item.get("type") != 4:
                continue
            if (item.get("max_length") or 0) > 4000:
                problems.append("a text input's max_length is over 4000")
            if len(item.get("value") or "") > 4000:
                problems.append("a text input's value is over 4000 characters")
            if len(item.get("label") or row.get("label") or "") > 45:
                problems.append("a text input's label is over 45 characters")
            if len(item.get("placeholder") or "") > 100:
                problems.append("a text input's placeholder is over 100 characters")
    return problems


def check_autocomplete(choices: list[dict[str, Any]]) -> list[str]:
    problems = [f"{len(choices)} autocomplete choices (limit 25)"] if len(choices) > 25 else []
    for choice in choices:
        problems += _check_choice(choice, "autocomplete choice")
    return problems


def _check_choice(choice: dict[str, Any], label: str) -> list[str]:
    problems: list[str] = []
    name = choice.get("name") or ""
    if not 1 <= len(name) <= 100:
        problems.append(f"{label} name {name[:20]!r} must be 1 to 100 characters")
    value = choice.get("value")
    if isinstance(value, str) and len(value) > 100:
        problems.append(f"{label} value {value[:20]!r}... is over 100 characters")
    return problems


def check_commands(commands: list[dict[str, Any]], *, global_scope: bool) -> list[str]:
    problems: list[str] = []
    chat = [command for command in commands if command.get("type", 1) == 1]
    if global_scope and len(chat) > MAX_GLOBAL_CHAT_COMMANDS:
        problems.append(f"{len(chat)} chat commands (limit {MAX_GLOBAL_CHAT_COMMANDS})")
    names = [command.get("name") for command in chat]
    for name in {name for name in names if names.count(name) > 1}:
        problems.append(f"command name {name!r} is used twice")
    for command in chat:
        problems += _check_command(command, command.get("name", "?"), depth=0)
    return problems


def _check_command(item: dict[str, Any], path: str, depth: int) -> list[str]:
    problems: list[str] = []
    name = item.get("name") or ""
    if not COMMAND_NAME.match(name) or name != name.lower():
        problems.append(f"{path}: name {name!r} must be 1-32 lowercase letters, digits, - or _")
    description = item.get("description") or ""
    if not 1 <= len(description) <= 100:
        problems.append(f"{path}: description must be 1 to 100 characters (is {len(description)})")
    options = item.get("options") or []
    if len(options) > 25:
        problems.append(f"{path}: {len(options)} options (limit 25)")
    option_names = [option.get("name") for option in options]
    if len(set(option_names)) != len(option_names):
        problems.append(f"{path}: two options share a name")
    seen_optional = False
    for option in options:
        option_path = f"{path} {option.get('name')}"
        if option.get("type") in (1, 2):
            if depth >= 2:
                problems.append(f"{option_path}: subcommands nested too deep")
            problems += _check_command(option, option_path, depth + 1)
            continue
        problems += _check_command({**option, "options": []}, option_path, depth + 1)
        if option.get("required"):
            if seen_optional:
                problems.append(f"{option_path}: a required option follows an optional one")
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > 25:
            problems.append(f"{option_path}: {len(choices)} choices (limit 25)")
        for choice in choices:
            problems += _check_choice(choice, f"{option_path} choice")
        if choices and option.get("autocomplete"):
            problems.append(f"{option_path}: choices and autocomplete cannot be combined")
    return problems
