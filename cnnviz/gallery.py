"""The gallery: ``DIR/index.html``, one card per rendered scene found under an output folder.

The page is ``cnnviz/templates/gallery.html`` (HTML and CSS, ``string.Template``
placeholders ``$count``, ``$built``, ``$body``); this module finds the rendered
files (either layout, both themes, slide decks, and whatever the manifest knows) and fills
in the cards.  Each card shows a **poster** of its scene: the first frame of its animation
(the opening picture: every animation starts on its first beat's held frame), written once
to ``DIR/posters/<res>/<Name>.png``, linking to the animation.
Links are relative and escaped, and the page loads nothing from the network, so
the folder can be moved or copied next to the notebook.
"""

from __future__ import annotations

import html
import importlib.resources
import itertools
import json
import string
import time
import urllib.parse
from pathlib import Path

from cnnviz import registry
from cnnviz.engine.manifest import Manifest
from cnnviz.engine.plan import FORMATS, QUALITIES, RES_DIRS, SLIDES_DIR, THEMES
from cnnviz.files import atomic_write_text

__all__ = ["build_gallery", "find_outputs"]


def _template() -> string.Template:
    text = importlib.resources.files("cnnviz").joinpath("templates", "gallery.html").read_text(encoding="utf-8")
    return string.Template(text)


def find_outputs(out: Path) -> dict[str, dict]:
    """card → {"name", "chapter", "section", "files": [(rel, label)]} for every rendered file under ``out``.

    A card is a scene (the notebook's example), or a custom render ``Scene@suffix`` whose entry
    also holds ``scene`` and the ``values`` the manifest recorded.
    """
    specs = {s.name: s for s in registry.all_specs(include_planned=True)}
    manifest = Manifest(out)
    found: dict[str, dict] = {}

    def add(name: str, rel: str, label: str, chapter=None, section=None, scene=None, values=None):
        entry = found.setdefault(name, {"name": name, "files": [], "chapter": chapter, "section": section,
                                        "scene": scene or name, "values": values})
        if (rel, label) not in entry["files"]:
            entry["files"].append((rel, label))

    for name, spec in specs.items():
        if spec.notebook_path and (out / spec.notebook_path).is_file():
            rel = Path(spec.notebook_path).as_posix()
            res = QUALITIES.get((manifest.get(rel) or {}).get("quality", ""), ("",))[0]
            add(name, rel, f"GIF {res} (notebook path)".replace("  ", " "), spec.chapter, spec.section)
        for res in RES_DIRS:
            for theme in THEMES:
                folder = res if theme == "dark" else f"{res}-{theme}"
                shown = res if theme == "dark" else f"{res} {theme}"
                for ext in FORMATS:
                    rel = f"{folder}/{name}.{ext}"
                    if (out / rel).is_file():
                        add(name, rel, f"{ext.upper()} {shown}", spec.chapter, spec.section)
                deck = f"{SLIDES_DIR}/{folder}/{name}/index.html"
                if (out / deck).is_file():
                    add(name, deck, f"slides {shown}", spec.chapter, spec.section)
                if (out / SLIDES_DIR / folder / f"{name}.pptx").is_file():
                    add(name, f"{SLIDES_DIR}/{folder}/{name}.pptx", f"PowerPoint {shown}", spec.chapter, spec.section)
    for rel, e in sorted(manifest.entries.items()):
        name = e["scene"]  # (the manifest keeps only entries of the right shape)
        if not (out / rel).is_file():
            continue
        ext = Path(rel).suffix.lstrip(".")
        res = QUALITIES.get(e.get("quality", ""), ("",))[0]
        at_notebook_path = e.get("layout") == "notebook" and ext == "gif" and not e.get("variant")
        label = f"{ext.upper()} {res}".strip() + (" (notebook path)" if at_notebook_path else "")
        card = f"{name}@{e['variant']}" if e.get("variant") else name
        if card in found and any(r == rel for r, _ in found[card]["files"]):
            continue
        if rel.endswith("beats.json"):  # a deck: listed by its page or PowerPoint file above
            continue
        add(card, rel, label, e.get("chapter"), e.get("section"), scene=name, values=e.get("values"))
    for entry in found.values():
        spec = specs.get(entry["scene"])
        if spec is not None:
            entry["chapter"], entry["section"] = spec.chapter, spec.section
    return found


def poster(out: Path, rel: str) -> str | None:
    """A PNG of the first frame of the animation ``rel`` (its opening picture), written once under
    ``out/posters/`` (again when the animation is newer); its path relative to ``out``, or None."""
    if rel.endswith(".png"):
        return rel
    src = out / rel
    dst_rel = (Path("posters") / rel).with_suffix(".png").as_posix()
    dst = out / dst_rel
    try:
        if dst.is_file() and dst.stat().st_mtime >= src.stat().st_mtime:
            return dst_rel
        frame = _first_frame(src)
        if frame is None:
            return None
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.part")
        frame.save(tmp, format="PNG")
        tmp.replace(dst)
    except OSError:
        return None
    return dst_rel


def _first_frame(path: Path):
    from PIL import Image

    if path.suffix == ".gif":
        with Image.open(path) as im:
            return im.convert("RGB")
    try:
        import av

        with av.open(str(path)) as c:
            for frame in c.decode(c.streams.video[0]):
                return frame.to_image()
    except Exception:  # noqa: BLE001 - no poster for an unreadable video
        return None
    return None


def _primary(files: list[tuple[str, str]]) -> str | None:
    """The image a card shows: the GIF at the notebook's path, else the best flat GIF, else the PNG poster."""
    order = ["notebook", "720p30", "480p15", "1080p60", "2160p60"]
    gifs = [(r, label) for r, label in files if r.endswith((".gif", ".mp4", ".webm"))]
    gifs.sort(key=lambda rl: next((i for i, k in enumerate(order) if k in rl[1]), len(order)))
    if gifs:
        return gifs[0][0]
    pngs = [r for r, _ in files if r.endswith(".png")]
    return pngs[0] if pngs else None


def _card(e: dict, chapter, out: Path) -> str:
    esc = html.escape
    parts = [f'<article class="card" id="{esc(e["name"])}">']
    prim = _primary(e["files"])
    still = poster(out, prim) if prim else None
    if prim:
        url = esc(urllib.parse.quote(prim))
        img = esc(urllib.parse.quote(still or prim))
        parts.append(f'<a href="{url}"><img src="{img}" alt="{esc(e["name"])}: its opening picture"></a>')
    links = " ".join(f'<a href="{esc(urllib.parse.quote(rel))}">{esc(label)}</a>' for rel, label in e["files"])
    parts += ['<div class="meta">', f"<h3>{esc(e['name'])}</h3>",
              f'<p class="section">Chapter {esc(str(chapter))} &middot; {esc(e["section"] or "")}</p>']
    if e.get("values"):  # a custom render: the values it was made with
        shown = ", ".join(f"{k} = {_value_text(v)}" for k, v in e["values"].items())
        parts.append(f'<p class="values">your example: {esc(shown)}</p>')
    parts += [f'<p class="links">{links}</p></div></article>']
    return "\n".join(parts)


def _value_text(v, limit: int = 120) -> str:
    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_gallery(out: Path) -> tuple[Path, int]:
    """Write ``out/index.html``; return its path and the number of scenes shown."""
    found = find_outputs(out)
    catalog_order = {s.name: i for i, s in enumerate(registry.all_specs(include_planned=True))}
    entries = sorted(found.values(), key=lambda e: (e["chapter"] if e["chapter"] is not None else 99,
                                                     catalog_order.get(e["scene"], 10**6), e["name"]))
    esc = html.escape
    body: list[str] = []
    if not entries:
        body.append('<p class="none">No rendered scenes found here yet: run <code>cnnviz render --all</code>.</p>')
    for chapter, group in itertools.groupby(entries, key=lambda e: e["chapter"]):
        title = registry.CHAPTERS.get(chapter, "Other scenes") if chapter is not None else "Other scenes"
        body.append(f"<h2>{esc(f'Chapter {chapter}: {title}' if chapter else title)}</h2>")
        body.append('<div class="grid">')
        body.extend(_card(e, chapter, out) for e in group)
        body.append("</div>")
    page = _template().substitute(count=len(entries), built=esc(time.strftime("%Y-%m-%d %H:%M")), body="\n".join(body))
    index = out / "index.html"
    atomic_write_text(index, page)
    return index, len(entries)
