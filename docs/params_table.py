"""The README's table of scene parameters, generated from the data functions' signatures.

    .venv/bin/python docs/params_table.py          # rewrite the table in README.md
    .venv/bin/python docs/params_table.py --check  # exit 1 if README.md's table is not up to date
    .venv/bin/python docs/params_table.py --print  # print the table

The table sits between the markers ``<!-- params-table… -->`` and ``<!-- /params-table -->``
of README.md.  Every implemented catalog scene with declared parameters
(``Annotated[type, Param(...)]``, see ``cnnviz/params.py``) gets one row per parameter, in
catalog order.  Imports the scene modules (and Manim).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnviz import params, registry  # noqa: E402

README = ROOT / "README.md"
START = re.compile(r"<!-- params-table[^>]*-->\n")
END = "<!-- /params-table -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table() -> str:
    """The Markdown table (header, then one row per parameter of each scene)."""
    rows = ["| scene | parameter | type | default | limits | meaning |", "|---|---|---|---|---|---|"]
    for spec in registry.CATALOG:
        if not registry.is_implemented(spec):
            continue
        for k, p in enumerate(params.scene_params(spec.load()).values()):
            default = "none" if p.default is None else params.show_value(p.default, 28)
            rows.append("| " + " | ".join(_cell(c) for c in (
                spec.name if k == 0 else "", f"`{p.name}`", p.type_text(), f"`{default}`", p.limits_text() or "–",
                p.help)) + " |")
    return "\n".join(rows) + "\n"


def render_readme(text: str) -> str:
    """``text`` (README.md) with the table between its markers replaced."""
    m = START.search(text)
    end = text.find(END, m.end()) if m else -1
    if not m or end < 0:
        raise SystemExit("README.md has no <!-- params-table --> … <!-- /params-table --> markers")
    return text[: m.end()] + table() + text[end:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if README.md's table is out of date")
    ap.add_argument("--print", dest="show", action="store_true", help="print the table")
    args = ap.parse_args()
    if args.show:
        sys.stdout.write(table())
        return 0
    text = README.read_text(encoding="utf-8")
    new = render_readme(text)
    if args.check:
        if new != text:
            print("README.md's table of parameters is out of date: run python docs/params_table.py")
            return 1
        return 0
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md: table of parameters updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
