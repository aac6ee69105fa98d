"""Every requirement number cited in the code and tests ("R15") is defined in the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITATION = re.compile(r"\bR([1-9][0-9]?)\b")
DEFINITION = re.compile(r"^- R([1-9][0-9]?) ", re.MULTILINE)


def cited_numbers() -> dict[int, list[str]]:
    cited: dict[int, list[str]] = {}
    for folder in ("bot", "cogs", "tests", "bench", "migrations"):
        for path in (ROOT / folder).rglob("*.py"):
            for number in CITATION.findall(path.read_text(encoding="utf-8")):
                cited.setdefault(int(number), []).append(str(path.relative_to(ROOT)))
    return cited


def test_every_cited_requirement_is_defined_in_docs() -> None:
    defined = {int(n) for n in DEFINITION.findall((ROOT / "docs/requirements.md").read_text())}
    cited = cited_numbers()
    assert cited, "no citations found: the pattern is wrong"
    undefined = {
        number: sorted(set(paths)) for number, paths in cited.items() if number not in defined
    }
    assert not undefined, f"cited but not defined in docs/requirements.md: {undefined}"
