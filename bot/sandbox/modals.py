"""Filling in a modal as Discord's client does, and the submit payload Discord sends for it.

Each top-level component comes back in order, with its numeric `id` (Discord numbers the
components that have none, from 1, in order): a label with its one component's answer, an
action row with its text input's, a text display with only its type and id. Text inputs
send `value` ("" when left empty; the prefilled value when untouched), selects `values`
(the default options when untouched), radio groups `value` (null for none), checkbox groups
`values` and a checkbox `value` (a boolean). What the client would not let a member submit
(a required part left empty, a value not among the options, too many values) is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# What a test may give for one part: text for a text input, an option's value (or a list of
# them) for a select, a radio group or a checkbox group, a boolean for a checkbox.
Answer = str | list[str] | bool | None


class FormRefused(Exception):
    """The member's client would not submit the form like this."""


def number_components(modal: dict[str, Any]) -> dict[int, int]:
    """Discord's ids for the modal's components, by position in a depth-first walk: the
    bot's own ids, and the next free numbers from 1 for the rest."""
    walked = list(_walk(modal.get("components") or []))
    taken = {item["id"] for item in walked if isinstance(item.get("id"), int)}
    numbers: dict[int, int] = {}
    free = 1
    for position, item in enumerate(walked):
        if isinstance(item.get("id"), int):
            numbers[position] = item["id"]
            continue
        while free in taken:
            free += 1
        numbers[position] = free
        taken.add(free)
    return numbers


def _walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        if isinstance(item.get("component"), dict):
            yield from _walk([item["component"]])
        yield from _walk(item.get("components") or [])


def fill_in(modal: dict[str, Any], answers: dict[str, Answer]) -> list[dict[str, Any]]:
    """The `components` of the submit for `answers` by custom id; parts not named keep what
    the form shows (empty, or its defaults)."""
    numbers = number_components(modal)
    position = iter(range(len(numbers)))
    known: set[str] = set()
    submitted: list[dict[str, Any]] = []
    for row in modal.get("components") or []:
        own = numbers[next(position)]
        kind = row.get("type")
        if kind == 10:
            submitted.append({"type": 10, "id": own})
        elif kind == 18:
            inner = row["component"]
            answer = _answer(inner, numbers[next(position)], answers, known)
            submitted.append({"type": 18, "id": own, "component": answer})
        elif kind == 1:
            inputs = []
            for item in row.get("components") or []:
                inputs.append(_answer(item, numbers[next(position)], answers, known))
            submitted.append({"type": 1, "id": own, "components": inputs})
    unknown = set(answers) - known
    if unknown:
        raise FormRefused(f"the modal has no fields {sorted(unknown)}")
    return submitted


def _answer(
    item: dict[str, Any], number: int, answers: dict[str, Answer], known: set[str]
) -> dict[str, Any]:
    kind = item.get("type")
    custom_id = item["custom_id"]
    known.add(custom_id)
    given = answers.get(custom_id)
    base = {"type": kind, "id": number, "custom_id": custom_id}
    required = item.get("required", True) is not False
    if kind == 4:
        text = item.get("value") or "" if given is None else str(given)
        if required and not text:
            raise FormRefused(f"{custom_id!r} is required")
        if len(text) > item.get("max_length", 4000) or (
            text and len(text) < item.get("min_length", 0)
        ):
            raise FormRefused(f"{custom_id!r} length {len(text)} is outside what the form allows")
        return {**base, "value": text}
    if kind == 23:
        checked = bool(item.get("default")) if given is None else given is True
        return {**base, "value": checked}
    if kind not in (3, 21, 22):
        raise FormRefused(f"the sandbox does not fill in components of type {kind} in a modal")
    options = [option["value"] for option in item.get("options") or []]
    if given is None:
        chosen = [option["value"] for option in item.get("options") or [] if option.get("default")]
    else:
        chosen = [given] if isinstance(given, str) else given if isinstance(given, list) else []
    if any(value not in options for value in chosen):
        raise FormRefused(f"{custom_id!r} has no option {sorted(set(chosen) - set(options))}")
    if len(set(chosen)) != len(chosen):
        raise FormRefused(f"{custom_id!r} was given the same option twice")
    if not chosen:
        if required:
            raise FormRefused(f"{custom_id!r} is required")
    elif kind == 21:
        if len(chosen) > 1:
            raise FormRefused(f"{custom_id!r} is a radio group: one choice")
    else:
        low = item.get("min_values", 1)
        high = item.get("max_values", len(options) if kind == 22 else 1)
        if not low <= len(chosen) <= high:
            raise FormRefused(f"{custom_id!r} takes {low} to {high} choices, not {len(chosen)}")
    if kind == 21:
        return {**base, "value": chosen[0] if chosen else None}
    return {**base, "values": chosen}
