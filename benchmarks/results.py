"""Writing a benchmark's section of ``benchmarks/RESULTS.md``: the section (from its
``## `` heading to the next) is replaced, or added at the end."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(heading: str, text: str, path: Path = RESULTS) -> None:
    """Put ``text`` (which starts with ``heading``) in place of that section."""
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    body = text.rstrip("\n") + "\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _m: body + "\n", old)
    else:
        new = old.rstrip("\n") + "\n\n" + body
    path.write_text(new.rstrip("\n") + "\n")
