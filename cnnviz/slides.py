"""Decks from the scenes' beats: HTML (step through in a browser), PowerPoint, PNG handouts.

A slides job (``render.py slides``) renders each scene once and cuts it into its beats
(:mod:`cnnviz.engine.slidecut`): ``DIR/slides/<res>/<Name>/`` holds ``beats.json`` (each
beat's note, clip, poster, length), ``clips/NN.mp4`` and ``posters/NN.png``.  This module
turns such folders into what a teacher presents, with no Manim and no network:

* :func:`write_html` — ``<Name>/index.html``, the page ``cnnviz/templates/deck.html`` with the
  deck's data inlined (the page's script is the template's own: keys, notes, ``#Name/3``),
  plus ``DIR/slides/<res>/index.html`` listing every deck there;
* :func:`write_pptx` — ``<Name>.pptx`` (python-pptx): a title slide, then one slide per beat
  whose clip starts by itself when the slide opens (timing XML added to python-pptx's
  click-to-play movie), with the beat's held frame as the poster and the note in the
  speaker notes;
* ``png`` — the posters themselves are the handouts.
"""

from __future__ import annotations

import html
import importlib.resources
import json
import string
import urllib.parse
from pathlib import Path

from cnnviz import registry
from cnnviz.files import atomic_write_text

__all__ = ["DeckError", "load_deck", "write", "write_html", "write_index", "write_pptx", "autoplay_timing"]

TARGETS = ("html", "pptx", "png")


class DeckError(ValueError):
    """A deck folder cannot be read (the message names it)."""


def load_deck(folder: Path) -> dict:
    """The deck of ``folder`` (its ``beats.json``), with the scene's chapter and section added."""
    try:
        deck = json.loads((folder / "beats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DeckError(f"{folder}: no readable beats.json ({exc})") from exc
    if not isinstance(deck, dict) or not isinstance(deck.get("beats"), list) or not deck["beats"]:
        raise DeckError(f"{folder}/beats.json lists no beats")
    for b in deck["beats"]:
        for key in ("clip", "poster"):
            if not (folder / b[key]).is_file():
                raise DeckError(f"{folder}: {b[key]} is missing (render the deck again with --force)")
    spec = next((s for s in registry.all_specs(include_planned=True) if s.name == deck.get("scene")), None)
    deck["chapter"] = spec.chapter if spec else None
    deck["section"] = spec.section if spec else ""
    deck["folder"] = folder
    return deck


def _colours(theme_name: str) -> dict:
    from cnnviz import theme

    p = theme.PALETTES.get(theme_name, theme.PALETTES["dark"])
    return {"background": p["BACKGROUND"], "text": p["TEXT"], "panel": p["PANEL"], "muted": p["MUTED"]}


def _template(name: str) -> string.Template:
    return string.Template(importlib.resources.files("cnnviz").joinpath("templates", name).read_text(encoding="utf-8"))


def _json_for_script(data) -> str:
    """JSON that cannot end its ``<script>`` element early."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def write_html(deck: dict) -> Path:
    """Write ``index.html`` into the deck's folder (self-contained: relative links only)."""
    folder: Path = deck["folder"]
    data = {"scenes": [{"name": deck["scene"], "base": "",
                        "beats": [{"clip": b["clip"], "poster": b["poster"], "note": b.get("note", "")}
                                  for b in deck["beats"]]}]}
    page = _template("deck.html").substitute(title=html.escape(f"{deck['scene']} — cnnviz"),
                                             data=_json_for_script(data), **_colours(deck.get("theme", "dark")))
    index = folder / "index.html"
    atomic_write_text(index, page)
    return index


def write_index(root: Path) -> Path:
    """``root/index.html``: one card per deck folder under ``root`` (its opening picture, its beats)."""
    decks = []
    for folder in sorted(p for p in root.iterdir() if (p / "beats.json").is_file()):
        try:
            decks.append(load_deck(folder))
        except DeckError:
            continue
    order = {s.name: i for i, s in enumerate(registry.all_specs(include_planned=True))}
    decks.sort(key=lambda d: (d["chapter"] if d["chapter"] is not None else 99, order.get(d["scene"], 10**6)))
    esc = html.escape
    cards = []
    for d in decks:
        name = d["folder"].name
        link = urllib.parse.quote(f"{name}/index.html") if (d["folder"] / "index.html").is_file() else None
        poster = urllib.parse.quote(f"{name}/{d['beats'][0]['poster']}")
        img = f'<img src="{poster}" alt="{esc(d["scene"])}">'
        pptx = root / f"{name}.pptx"
        extra = f' &middot; <a href="{urllib.parse.quote(pptx.name)}">PowerPoint</a>' if pptx.is_file() else ""
        head = f'<a href="{link}">{img}</a>' if link else img
        cards.append(f'<article>{head}<h3>{esc(d["scene"])}</h3><p>Chapter {esc(str(d["chapter"]))} &middot; '
                     f'{esc(d["section"])} &middot; {len(d["beats"])} beats{extra}</p></article>')
    colours = _colours(decks[0].get("theme", "dark") if decks else "dark")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cnnviz decks</title>
<style>body {{ margin: 2em; background: {colours['background']}; color: {colours['text']};
font-family: "DejaVu Sans", system-ui, sans-serif; }} a {{ color: inherit; }}
main {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 1.2em; }}
article {{ background: {colours['panel']}; padding: 0.6em; border-radius: 6px; }}
img {{ width: 100%; display: block; }} h3 {{ margin: 0.4em 0 0.2em; font-size: 1em; }}
p {{ margin: 0; font-size: 0.85em; color: {colours['muted']}; }}</style></head>
<body><h1>Step-through decks ({len(decks)})</h1>
<p>Open a deck, then &rarr; / Space / PageDown for the next beat, &larr; to go back, F for full screen, N for the notes.</p>
<main>
{chr(10).join(cards)}
</main></body></html>
"""
    index = root / "index.html"
    atomic_write_text(index, page)
    return index


# ------------------------------------------------------------------------------------------ PowerPoint

_P = "http://schemas.openxmlformats.org/presentationml/2006/main"


def autoplay_timing(spid: int, duration_ms: int) -> str:
    """The ``<p:timing>`` of a slide whose movie (shape id ``spid``) plays by itself when the slide opens,
    once, holding its last frame (PowerPoint's "Start: Automatically")."""
    return f"""<p:timing xmlns:p="{_P}"><p:tnLst><p:par><p:cTn id="1" dur="indefinite" restart="never" nodeType="tmRoot">
<p:childTnLst><p:seq concurrent="1" nextAc="seek"><p:cTn id="2" dur="indefinite" nodeType="mainSeq"><p:childTnLst>
<p:par><p:cTn id="3" fill="hold"><p:stCondLst><p:cond delay="indefinite"/><p:cond evt="onBegin" delay="0"><p:tn val="2"/></p:cond></p:stCondLst>
<p:childTnLst><p:par><p:cTn id="4" fill="hold"><p:stCondLst><p:cond delay="0"/></p:stCondLst><p:childTnLst>
<p:par><p:cTn id="5" presetID="1" presetClass="mediacall" presetSubtype="0" fill="hold" nodeType="afterEffect">
<p:stCondLst><p:cond delay="0"/></p:stCondLst><p:childTnLst><p:cmd type="call" cmd="playFrom(0.0)"><p:cBhvr>
<p:cTn id="6" dur="{duration_ms}" fill="hold"/><p:tgtEl><p:spTgt spid="{spid}"/></p:tgtEl></p:cBhvr></p:cmd>
</p:childTnLst></p:cTn></p:par></p:childTnLst></p:cTn></p:par></p:childTnLst></p:cTn></p:par>
</p:childTnLst></p:cTn><p:prevCondLst><p:cond evt="onPrev" delay="0"><p:tgtEl><p:sldTgt/></p:tgtEl></p:cond></p:prevCondLst>
<p:nextCondLst><p:cond evt="onNext" delay="0"><p:tgtEl><p:sldTgt/></p:tgtEl></p:cond></p:nextCondLst></p:seq>
<p:video><p:cMediaNode vol="80000"><p:cTn id="7" fill="hold" display="0"><p:stCondLst><p:cond delay="indefinite"/></p:stCondLst></p:cTn>
<p:tgtEl><p:spTgt spid="{spid}"/></p:tgtEl></p:cMediaNode></p:video></p:childTnLst></p:cTn></p:par></p:tnLst></p:timing>"""


def _set_autoplay(slide, movie, duration_ms: int) -> None:
    from lxml import etree

    sld = slide._element
    for old in sld.findall(f"{{{_P}}}timing"):  # python-pptx's click-to-play timing
        sld.remove(old)
    timing = etree.fromstring(autoplay_timing(movie.shape_id, duration_ms))
    ext = sld.find(f"{{{_P}}}extLst")  # p:timing comes before p:extLst
    if ext is not None:
        ext.addprevious(timing)
    else:
        sld.append(timing)


def write_pptx(decks: list[dict], path: Path) -> Path:
    """One PowerPoint file for ``decks``: per scene a title slide, then one slide per beat (see the module doc)."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Emu, Pt

    prs = Presentation()
    width, height = decks[0]["width"], decks[0]["height"]
    prs.slide_width = Emu(12192000)  # 13.333 in: 16:9
    prs.slide_height = Emu(round(12192000 * height / width))
    title_layout, blank = prs.slide_layouts[0], prs.slide_layouts[6]
    for deck in decks:
        colours = _colours(deck.get("theme", "dark"))
        bg = RGBColor.from_string(colours["background"].lstrip("#"))
        fg = RGBColor.from_string(colours["text"].lstrip("#"))
        muted = RGBColor.from_string(colours["muted"].lstrip("#"))
        slide = prs.slides.add_slide(title_layout)
        slide.background.fill.solid()
        slide.background.fill.fore_color.rgb = bg
        slide.shapes.title.text = deck["scene"]
        chapter = f"Chapter {deck['chapter']} · " if deck.get("chapter") else ""
        slide.placeholders[1].text = f"{chapter}{deck.get('section', '')}\n{len(deck['beats'])} steps"
        for shape, colour in ((slide.shapes.title, fg), (slide.placeholders[1], muted)):
            for para in shape.text_frame.paragraphs:
                for run in para.runs:
                    run.font.color.rgb = colour
                    if shape is slide.placeholders[1]:
                        run.font.size = Pt(24)
        slide.notes_slide.notes_text_frame.text = f"{deck['scene']}: {len(deck['beats'])} steps."
        folder: Path = deck["folder"]
        n = len(deck["beats"])
        for b in deck["beats"]:
            slide = prs.slides.add_slide(blank)
            slide.background.fill.solid()
            slide.background.fill.fore_color.rgb = bg
            movie = slide.shapes.add_movie(str(folder / b["clip"]), 0, 0, prs.slide_width, prs.slide_height,
                                           poster_frame_image=str(folder / b["poster"]), mime_type="video/mp4")
            movie.name = f"{deck['scene']} beat {b['n']}"
            _set_autoplay(slide, movie, max(1, round(1000 * float(b.get("seconds", 1)))))
            slide.notes_slide.notes_text_frame.text = f"{deck['scene']} · step {b['n']}/{n}\n{b.get('note', '')}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    try:
        prs.save(str(tmp))
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


# ------------------------------------------------------------------------------------------ the command


def write(to: str, folders: list[Path], root: Path) -> list[Path]:
    """What ``render.py slides --to TO`` writes from the deck ``folders`` (under ``root``); return the paths
    to show the user."""
    if to not in TARGETS:
        raise DeckError(f"unknown target {to!r}: choose one of {', '.join(TARGETS)}")
    decks = [load_deck(f) for f in folders]
    made: list[Path] = []
    if to == "html":
        made = [write_html(d) for d in decks]
        if root.is_dir():
            made.append(write_index(root))
    elif to == "pptx":
        made = [write_pptx([d], d["folder"].parent / f"{d['folder'].name}.pptx") for d in decks]
    else:
        made = [d["folder"] / "posters" for d in decks]
    return made


