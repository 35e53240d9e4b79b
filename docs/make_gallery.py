"""Write the README's chart gallery: the report's charts on the example data, as PNGs.

    make gallery        (or: python docs/make_gallery.py)

Builds the report from ``data/planning.toml`` into a temporary folder and saves the
first chart of each section named in ``SECTIONS`` to ``docs/gallery/<section>.png``.
"""

from __future__ import annotations

import base64
import re
import sys
import tempfile
from pathlib import Path

import backorder_analytics as ba

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "gallery"
SECTIONS = ("alerts", "eta", "risk", "safety-stock", "history", "forecast", "lead-times")
"""Section ids of the report whose first chart goes into the gallery."""

SECTION = re.compile(r'<section id="([^"]+)">(.*?)</section>', re.S)
IMAGE = re.compile(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)"')


def main() -> int:
    config = ba.load_config(ROOT / "data" / "planning.toml")
    ds = ba.read_dataset(ROOT / "data")
    with tempfile.TemporaryDirectory() as tmp:
        page = ba.build_report(ds, tmp, config, progress=False).read_text(encoding="utf-8")
    OUT.mkdir(parents=True, exist_ok=True)
    found = {sid: IMAGE.search(body) for sid, body in SECTION.findall(page)}
    missing = [sid for sid in SECTIONS if not found.get(sid)]
    if missing:
        print(f"no chart in report section(s) {missing}; sections with charts: "
              f"{sorted(s for s, m in found.items() if m)}", file=sys.stderr)
        return 1
    for sid in SECTIONS:
        data, alt = found[sid].groups()
        (OUT / f"{sid}.png").write_bytes(base64.b64decode(data))
        print(f"docs/gallery/{sid}.png  {alt}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
