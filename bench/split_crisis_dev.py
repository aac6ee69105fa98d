"""Copy a development set of crisis notes into bench/data/crisis_dev.jsonl, with its split.

    python bench/split_crisis_dev.py /path/to/notes.jsonl

Each note (an object with `id`, `text`, `label`, `category`) goes to `dev_holdout` when the
first eight hex digits of the SHA-256 of its id, read as a number, leave a remainder under
35 when divided by 100 (about 35% of the notes), otherwise to `dev_3`. The split depends
on the id alone, so it was fixed before any note was read. `dev_holdout` is never trained
or tuned on (bench/train_crisis_model.py skips it); it is measured once, at the end. Prints
only the counts.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "crisis_dev.jsonl"
HOLDOUT_PERCENT = 35


def split_of(note_id: str) -> str:
    bucket = int(hashlib.sha256(note_id.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "dev_holdout" if bucket < HOLDOUT_PERCENT else "dev_3"


def main() -> None:
    rows = [
        json.loads(line)
        for line in Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    with OUT.open("w", encoding="utf-8") as out:
        for row in rows:
            row["split"] = split_of(row["id"])
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(Counter((row["split"], row["label"]) for row in rows))


if __name__ == "__main__":
    main()
