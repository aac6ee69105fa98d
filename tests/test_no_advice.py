"""R31 and the crisis card's promise: nothing the bot can send reads as medical or dosing
advice. Every string literal in bot/ and cogs/ (f-strings' fixed parts included) and every
text in the shipped directory is checked against phrasings of advice; a positive control
shows the check catches them."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Code that holds what members write or wrote, not what the bot says.
NOT_BOT_SPEECH = {"bot/sandbox", "bot/services/crisis_language.py"}

ADVICE = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\b(take|try|use)\s+(\d+|one|two|half|an?\s+extra)\s*(mg|mcg|ml|pills?|tablets?|doses?)\b",
        r"\b(increase|decrease|raise|lower|double|halve|skip|split)\s+(your|the|a)\s+(dose|dosage|meds?|medication)",
        r"\byou\s+(should|could|can|may want to)\s+(take|stop taking|start taking|switch)\b",
        r"\b(stop|start)\s+taking\s+(your|it|them|the)\b(?!.*\bprescriber\b)",
        r"\b(safe|normal|maximum|max)\s+dose\b",
        r"\bdose\s+(is|should be)\b",
        r"\bevery\s+\d+\s+hours\b.*\b(mg|pill|dose)",
    )
]

POSITIVE_CONTROL = [
    "Try 25 mg at night.",
    "You should take it with food.",
    "Increase your dose if it isn't working.",
    "Skip a dose when you drink.",
    "The maximum dose is 200 mg.",
    "Stop taking them if you feel better.",
    "Take two pills every 6 hours until it passes, 50 mg each.",
]


def _speech_files() -> list[Path]:
    files = [*ROOT.glob("bot/**/*.py"), *ROOT.glob("cogs/**/*.py")]
    return [
        path
        for path in files
        if not any(str(path.relative_to(ROOT)).startswith(skip) for skip in NOT_BOT_SPEECH)
    ]


def _strings(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            found.append("".join(v.value for v in node.values if isinstance(v, ast.Constant)))
    return found


def _directory_texts() -> list[str]:
    data = json.loads((ROOT / "bot/data/national_resources.json").read_text("utf-8"))
    texts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return texts


def _advice_in(text: str) -> list[str]:
    return [pattern.pattern for pattern in ADVICE if pattern.search(text)]


@pytest.mark.parametrize("text", POSITIVE_CONTROL)
def test_the_check_catches_advice(text: str) -> None:
    assert _advice_in(text), text


def test_nothing_the_bot_can_send_reads_as_medical_or_dosing_advice() -> None:
    strings = [(str(path.relative_to(ROOT)), s) for path in _speech_files() for s in _strings(path)]
    strings += [("bot/data/national_resources.json", text) for text in _directory_texts()]
    assert len(strings) > 500  # the walk really read the code
    offending = [(where, text) for where, text in strings if _advice_in(text)]
    assert offending == []
