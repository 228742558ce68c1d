"""The themes: WCAG contrast computed from ``cnnviz/theme.py``, roles kept, no stray colours in scenes.

The contrast ratio is WCAG 2.1's, computed here from its definition (relative luminance of
sRGB), not with the theme's own code.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from cnnviz import theme

ROOT = Path(__file__).resolve().parents[1]


def _lin(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    r, g, b = (_lin(int(h[i:i + 2], 16) / 255) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def blend(base: str, colour: str, t: float) -> str:
    """``colour`` over ``base`` at weight ``t`` (what the drawings' tinted cells and sheets are)."""
    a = [int(base.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]
    b = [int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(a, b))


def test_contrast_formula_against_known_values():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the classic "just fails AA" grey
    assert contrast("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)


@pytest.fixture(params=theme.THEMES)
def palette(request):
    p = theme.PALETTES[request.param]
    kernel = (p["KERNEL"], *p["KERNEL_MORE"])
    return request.param, p, kernel


def test_text_colours_read_on_every_surface(palette):
    name, p, kernel = palette
    bad = []
    texts = {r: p[r] for r in theme.TEXT_ROLES} | {f"KERNEL_COLORS[{k}]": c for k, c in enumerate(kernel)}
    for role, colour in texts.items():
        for surface in theme.SURFACES:
            ratio = contrast(colour, p[surface])
            if ratio < 4.5:
                bad.append(f"{role} {colour} on {surface} {p[surface]}: {ratio:.2f}")
    for fill in theme.TEXT_FILLS:
        ratio = contrast(p["TEXT"], p[fill])
        if ratio < 4.5:
            bad.append(f"TEXT on {fill}: {ratio:.2f}")
    assert not bad, f"{name} theme, text below 4.5:1: " + "; ".join(bad)


def test_text_reads_on_tinted_weight_cells(palette):
    """A weight's cell (its colour at TINT_CELL over the background) carries its name in its colour and
    its value in TEXT."""
    name, p, kernel = palette
    bad = []
    for k, colour in enumerate(kernel):
        cell = blend(p["BACKGROUND"], colour, theme.TINT_CELL)
        for what, ink in (("its own colour", colour), ("TEXT", p["TEXT"])):
            if contrast(ink, cell) < 4.5:
                bad.append(f"weight {k + 1}: {what} on its cell {cell}: {contrast(ink, cell):.2f}")
    assert not bad, f"{name} theme: " + "; ".join(bad)


def test_lines_read_on_the_background(palette):
    name, p, kernel = palette
    bad = [f"{r} {p[r]}: {contrast(p[r], p['BACKGROUND']):.2f}" for r in theme.LINE_ROLES
           if contrast(p[r], p["BACKGROUND"]) < 3.0]
    if contrast(p["GRID_LINE"], p["PANEL"]) < 3.0:
        bad.append(f"GRID_LINE on PANEL: {contrast(p['GRID_LINE'], p['PANEL']):.2f}")
    assert not bad, f"{name} theme, lines below 3:1: " + "; ".join(bad)


def test_both_themes_have_every_role_and_distinct_colours():
    dark, light = theme.PALETTES["dark"], theme.PALETTES["light"]
    assert dark.keys() == light.keys()
    for p in (dark, light):
        roles = [p[r] for r in ("INPUT", "KERNEL", "BIAS", "OUTPUT", "HIGHLIGHT", "POSITIVE", "NEGATIVE")]
        assert len(set(roles)) == len(roles)  # a role's colour is its own
        kernel = (p["KERNEL"], *p["KERNEL_MORE"])
        assert len(set(kernel)) == 9 and not set(kernel[1:]) & set(roles + [p["RED"], p["GREEN"], p["BLUE"]])
    assert luminance(dark["BACKGROUND"]) < 0.05 < 0.9 < luminance(light["BACKGROUND"])


def test_use_switches_every_name_and_back():
    try:
        theme.use("light")
        assert theme.current() == "light"
        assert theme.BACKGROUND == theme.PALETTES["light"]["BACKGROUND"]
        assert theme.CHANNELS == (theme.RED, theme.GREEN, theme.BLUE) == tuple(
            theme.PALETTES["light"][c] for c in ("RED", "GREEN", "BLUE"))
        assert theme.SYMBOL_COLORS["N"] == theme.PALETTES["light"]["INPUT"]
        assert theme.kernel_color(0) == theme.PALETTES["light"]["KERNEL"]
        assert theme.kernel_color(20) != theme.kernel_color(21)
        with pytest.raises(ValueError, match="unknown theme 'sepia'"):
            theme.use("sepia")
        assert theme.current() == "light"
    finally:
        theme.use("dark")
    assert theme.BACKGROUND == theme.PALETTES["dark"]["BACKGROUND"]


def test_extra_kernel_colours_read_in_both_themes():
    try:
        for name in theme.THEMES:
            theme.use(name)
            p = theme.PALETTES[name]
            low = [(k, theme.kernel_color(k)) for k in range(9, 40)
                   if min(contrast(theme.kernel_color(k), p[s]) for s in theme.SURFACES) < 3.0]
            assert not low, f"{name}: {low}"
    finally:
        theme.use("dark")


# ------------------------------------------------------------------------------ no stray colours

HEX = re.compile(r"#[0-9A-Fa-f]{6}\b|#[0-9A-Fa-f]{3}\b")


def _manim_colour_names() -> set[str]:
    import manim
    from manim.utils.color import ManimColor

    return {n for n in dir(manim) if n.isupper() and isinstance(getattr(manim, n), ManimColor)}


def test_scenes_and_drawings_name_no_colour():
    """Scenes and drawings name theme roles, never a hex colour or a Manim colour constant."""
    names = _manim_colour_names()
    assert {"WHITE", "BLUE_E", "PURE_RED"} <= names
    word = re.compile(r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")
    found = []
    for path in [ROOT / "cnnviz" / "drawings.py", *sorted((ROOT / "scenes").glob("*.py"))]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = re.sub(r"theme\.[A-Z_]+", "", line)  # theme.RED is a role
            words = re.sub(r"(['\"]).*?\1", "''", code.split("  #", 1)[0])  # not in strings or comments
            if HEX.search(code) or word.search(words):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "colours named outside cnnviz/theme.py:\n" + "\n".join(found)


def test_the_scan_finds_strays(tmp_path):
    """The scan above sees a hex string and a Manim constant (so it can fail)."""
    names = _manim_colour_names()
    word = re.compile(r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")
    assert HEX.search('sq.set_fill("#FF0000")') and word.search("label(x, color=YELLOW)")
    assert not word.search("label(x, color=theme.HIGHLIGHT)".replace("theme.HIGHLIGHT", ""))


def test_modules_rebind_colours_when_imported_under_another_theme():
    """Default arguments are bound at import: the drawings imported under the light theme bind its colours
    (in a fresh interpreter: re-importing here would split the classes the other tests hold)."""
    import subprocess
    import sys

    code = ("from cnnviz import theme; theme.use('light'); import cnnviz.drawings as d; "
            "print(d.label.__defaults__[1], d.ValueGrid.__init__.__defaults__[2])")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    light = theme.PALETTES["light"]
    assert r.stdout.split() == [light["TEXT"], light["INPUT"]]
