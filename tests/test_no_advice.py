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
NOT_BOT_SPEECH = {"bot/sandbox", "bot/services/crisis/language.py"}

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

# Issue 14: no sentence may tell a member to raise, lower, stop, switch, skip or time a dose.
# Checked sentence by sentence, so "Talk to your prescriber before changing anything" stays
# fine while "Lower your dose" never is.
_DOSE_VERBS = r"(raise|lower|reduce|cut|increase|decrease|stop|switch|skip|halve|double|taper|drop)"
_DOSE_WORDS = r"(dose|dosage|doses|meds?|medications?|pills?|tablets?|mg|mcg)"
DOSE_ADVICE = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # An order: the sentence starts with the verb ("Lower your dose to 25 mg").
        rf"^\W*(please\s+|now\s+|just\s+)?{_DOSE_VERBS}\b.*\b{_DOSE_WORDS}\b",
        r"^\W*(please\s+)?(switch|move|change)\s+(to|from|over)\b",
        # A suggestion: "you should / could / might want to ...".
        r"\byou\s+(should|could|can|must|need to|might want to|might|may want to|ought to|"
        rf"'d better)\s+"
        rf"(try\s+)?({_DOSE_VERBS[1:-1]}|change|take|move)\b",
        r"\btry\s+(raising|lowering|reducing|cutting|stopping|switching|skipping|halving|"
        r"doubling|tapering|taking)\b",
        rf"\bit'?s\s+(safe|fine|ok|okay)\s+to\s+({_DOSE_VERBS[1:-1]}|take)\b",
        # Timing: "take it at night", "move your dose to the morning".
        rf"\btake\s+(it|them|this|your\s+{_DOSE_WORDS})\s+(at|in|before|after|with|every|"
        rf"each|twice|once|later|earlier)\b",
        rf"\b(move|shift)\s+(your|the)\s+{_DOSE_WORDS}\b",
        rf"\btime\s+your\s+{_DOSE_WORDS}\b",
    )
]
DOSE_CONTROL = [
    "Lower your dose to 25 mg.",
    "Raise the dose next week.",
    "Stop the sertraline now, it's fine: stop your meds.",
    "You should switch to the generic.",
    "You might want to skip tomorrow's dose.",
    "Skip your pill tonight.",
    "Try stopping the medication for a week.",
    "Take it at night instead.",
    "Move your dose to the morning.",
    "It's safe to stop now.",
    "Switch to 50 mg.",
]
NOT_ADVICE = [
    "Talk to your prescriber before changing anything.",
    "Don't change a medication without your prescriber.",
    "Taper steps are shown as your prescriber set them, word for word.",
    "Muster doesn't give medical advice. Please make changes only with your prescriber.",
    "Noted: Sertraline, 50 mg, from November 3, 2026.",
    "Stop reminders with /checkin prompt off.",
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


def _sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?])\s+|\n+", text) if part.strip()]


def _advice_in(text: str) -> list[str]:
    found = [pattern.pattern for pattern in ADVICE if pattern.search(text)]
    for sentence in _sentences(text):
        found += [pattern.pattern for pattern in DOSE_ADVICE if pattern.search(sentence)]
    return found


@pytest.mark.parametrize("text", DOSE_CONTROL)
def test_the_check_catches_dose_instructions(text: str) -> None:
    assert _advice_in(text), text


@pytest.mark.parametrize("text", NOT_ADVICE)
def test_the_check_lets_plain_words_through(text: str) -> None:
    assert _advice_in(text) == [], text


def test_no_line_of_the_visit_packet_reads_as_advice() -> None:
    """Every line of a packet with every section filled, read back from the PDF."""
    import io

    import pypdf

    from bot.services.packet import render_packet
    from tests.test_packet import full_packet

    reader = pypdf.PdfReader(io.BytesIO(render_packet(full_packet())))
    lines = [line for page in reader.pages for line in page.extract_text().splitlines()]
    assert len(lines) > 20
    assert [line for line in lines if _advice_in(line)] == []


@pytest.mark.parametrize("text", POSITIVE_CONTROL)
def test_the_check_catches_advice(text: str) -> None:
    assert _advice_in(text), text


def test_nothing_the_bot_can_send_reads_as_medical_or_dosing_advice() -> None:
    strings = [(str(path.relative_to(ROOT)), s) for path in _speech_files() for s in _strings(path)]
    strings += [("bot/data/national_resources.json", text) for text in _directory_texts()]
    assert len(strings) > 500  # the walk really read the code
    offending = [(where, text) for where, text in strings if _advice_in(text)]
    assert offending == []
