"""`render.py slides`: decks cut from one render, HTML in headless Chromium, PowerPoint read back and
converted by LibreOffice, PNG handouts, themes kept apart.

The scene is ``tests/fixtures/slide_scenes.py:CliBeats`` (three beats, about 3 s, 480p15).
Chromium (Debian's ``chromium``) and LibreOffice (``soffice``, ``pdftoppm``) tests are skipped
with a message where those are absent; ``make test`` installs them when run as root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SCENE = "CliBeats"
NOTES = ["The opening: a title and a grid.", "The centre cell is highlighted.", "A caption sums it up."]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FIXTURES), str(ROOT), env.get("PYTHONPATH", "")]))
    env["CNNVIZ_EXTRA_SCENES"] = f"slide_scenes:{SCENE}"
    return env


def cli(cwd: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, str(ROOT / "render.py"), *args], cwd=cwd, env=_env(), capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == code, r.stdout + r.stderr
    return r


def frames_of(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        return [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]


def close(a: np.ndarray, b: np.ndarray, tol: float = 6.0) -> bool:
    return a.shape == b.shape and float(np.abs(a.astype(int) - b.astype(int)).mean()) < tol


def changed(a: np.ndarray, b: np.ndarray) -> float:
    """The share of pixels that differ visibly (by more than 40 in some channel)."""
    return float((np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 40).mean())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("slides")
    out = tmp / "site"
    cli(tmp, "slides", SCENE, "-q", "l", "-j", "1", "--out", str(out))
    return out


@pytest.fixture(scope="module")
def deck(site) -> Path:
    return site / "slides" / "480p15" / SCENE


def test_deck_is_one_clip_and_poster_per_beat(deck):
    index = json.loads((deck / "beats.json").read_text(encoding="utf-8"))
    assert index["scene"] == SCENE and index["theme"] == "dark" and (index["width"], index["height"]) == (854, 480)
    assert [b["note"] for b in index["beats"]] == NOTES
    assert [b["n"] for b in index["beats"]] == [1, 2, 3]
    clips = [frames_of(deck / b["clip"]) for b in index["beats"]]
    # the clips' lengths are the beats' at 15 fps: a play of t s draws ceil(15 t) frames, a hold int(15 t):
    # 0.6 s held; 0.8 s played + 0.6 held; 0.5 played + 0.8 held
    assert [len(c) for c in clips] == [b["frames"] for b in index["beats"]] == [9, 12 + 9, 8 + 12]
    for b, frames in zip(index["beats"], clips):
        poster = np.asarray(Image.open(deck / b["poster"]).convert("RGB"))
        assert close(frames[-1], poster), f"beat {b['n']}: the poster is not the clip's last (held) frame"
    # beat 1 is the opening held still; the next beats change the picture
    assert changed(clips[0][0], clips[0][-1]) == 0
    assert changed(clips[1][-1], clips[0][-1]) > 0.002 and changed(clips[2][-1], clips[1][-1]) > 0.002
    # one beat continues where the previous one held
    assert close(clips[1][0], clips[0][-1], 8.0)


def test_one_render_per_deck_and_cached(deck, site, tmp_path):
    manifest = json.loads((site / ".cnnviz-manifest.json").read_text(encoding="utf-8"))
    entry = manifest["outputs"][f"slides/480p15/{SCENE}/beats.json"]
    assert entry["kind"] == "slides" and entry["beats"] == 3 and entry["theme"] == "dark"
    assert sorted(entry["files"]) == [f"{d}/0{k}.{e}" for d, e in (("clips", "mp4"), ("posters", "png"))
                                      for k in (1, 2, 3)]
    r = cli(tmp_path, "slides", SCENE, "-q", "l", "--out", str(site), "--to", "png")
    assert "1 skipped" in r.stdout and f"{SCENE}/posters" in r.stdout.replace("\n", "")
    # a damaged clip is rendered again (every file of a deck is checked)
    clip = deck / "clips" / "02.mp4"
    good = clip.read_bytes()
    clip.write_bytes(good[:-10] + b"0123456789")
    r = cli(tmp_path, "slides", SCENE, "-q", "l", "-j", "1", "--out", str(site), "--to", "png")
    assert "1 rendered" in r.stdout
    assert clip.read_bytes() != good[:-10] + b"0123456789"


def test_html_deck_is_self_contained(deck):
    page = (deck / "index.html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    assert "<script src" not in page  # the script is inline, the project's own
    assert '"clips/02.mp4"' in page and '"posters/03.png"' in page and NOTES[1] in page
    overview = (deck.parent / "index.html").read_text(encoding="utf-8")
    assert f"{SCENE}/index.html" in overview and f"{SCENE}/posters/01.png" in overview


def test_usage_errors(tmp_path):
    r = cli(tmp_path, "slides", "NoSuchScene", code=2)
    assert "unknown scene" in r.stderr
    r = cli(tmp_path, "slides", SCENE, "--to", "pdf", code=2)
    assert "--to" in r.stderr
    r = cli(tmp_path, "render", SCENE, "--layout", "notebook", "--theme", "light", code=2)
    assert "dark" in r.stderr


# ------------------------------------------------------------------------------ Chromium


def _chromium() -> str:
    from cdp import CHROMIUM

    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"{CHROMIUM} not found: install the Debian package 'chromium' (make test does, as root)")
    return CHROMIUM


def test_html_deck_steps_through_in_chromium(deck, tmp_path):
    _chromium()
    from cdp import Browser

    moved = tmp_path / "moved"
    shutil.copytree(deck, moved)  # the folder works wherever it is copied
    url = (moved / "index.html").as_uri()
    with Browser(tmp_path / "profile", size=(854, 480)) as b:
        s = b.open_page()
        b.call("Page.navigate", {"url": url}, session=s)
        b.wait_event("Page.loadEventFired", session=s)
        held = "document.getElementById('held')"
        clip = "document.getElementById('clip')"
        assert b.evaluate(f"{held}.src", s).endswith("posters/01.png")
        b.wait_for(f"{held}.complete && {held}.naturalWidth === 854", s)
        b.screenshot(tmp_path / "beat1.png", s)
        # → plays beat 2's clip once; it holds its last frame
        b.key("ArrowRight", "ArrowRight", 39, s)
        assert b.evaluate(f"{clip}.src", s).endswith("clips/02.mp4")
        assert b.evaluate("location.hash", s) == f"#{SCENE}/2"
        b.wait_for(f"{clip}.ended", s, timeout=20)
        assert b.evaluate(f"{clip}.videoWidth", s) == 854
        assert b.evaluate(f"!{clip}.classList.contains('hidden')", s)
        b.screenshot(tmp_path / "beat2.png", s)
        # Space: beat 3; ← shows beat 2's held frame at once (no clip)
        b.key(" ", "Space", 32, s)
        assert b.evaluate(f"{clip}.src", s).endswith("clips/03.mp4")
        b.key("ArrowLeft", "ArrowLeft", 37, s)
        assert b.evaluate(f"{held}.src", s).endswith("posters/02.png")
        assert b.evaluate(f"{clip}.classList.contains('hidden') && {clip}.paused", s)
        # N shows the note; End / Home; #Scene/3 opens beat 3
        b.key("n", "KeyN", 78, s)
        assert b.evaluate("getComputedStyle(document.getElementById('notes')).display", s) == "block"
        assert b.evaluate("document.getElementById('note').textContent", s) == NOTES[1]
        b.key("End", "End", 35, s)
        assert b.evaluate(f"{held}.src", s).endswith("posters/03.png")
        b.key("Home", "Home", 36, s)
        assert b.evaluate(f"{held}.src", s).endswith("posters/01.png")
        b.call("Page.navigate", {"url": url + f"#{SCENE}/3"}, session=s)
        b.wait_for(f"document.getElementById('held').src.endsWith('posters/03.png')", s)
        urls = b.requested_urls()
        problems = [e for e in b.events if e.get("method") in ("Runtime.exceptionThrown", "Network.loadingFailed")]
    assert urls and all(u.startswith(("file://", "data:", "about:")) for u in urls), urls
    assert not problems, problems
    # the screenshot of beat 2 shows its clip's last frame (the held picture), not beat 1's
    shot1 = np.asarray(Image.open(tmp_path / "beat1.png").convert("RGB"))
    shot2 = np.asarray(Image.open(tmp_path / "beat2.png").convert("RGB"))
    poster1 = np.asarray(Image.open(deck / "posters" / "01.png").convert("RGB"))
    poster2 = np.asarray(Image.open(deck / "posters" / "02.png").convert("RGB"))
    assert close(shot1, poster1, 4.0) and close(shot2, poster2, 6.0)
    assert 2 * changed(shot2, poster2) < changed(shot2, poster1)  # (H.264 blurs thin coloured edges a little)


# ------------------------------------------------------------------------------ PowerPoint


@pytest.fixture(scope="module")
def pptx_file(site, tmp_path_factory) -> Path:
    cli(tmp_path_factory.mktemp("pptx"), "slides", SCENE, "-q", "l", "--out", str(site), "--to", "pptx")
    return site / "slides" / "480p15" / f"{SCENE}.pptx"


def test_pptx_reads_back(pptx_file, deck):
    from pptx import Presentation

    prs = Presentation(str(pptx_file))
    slides = list(prs.slides)
    assert len(slides) == 1 + 3  # a title slide, then one per beat
    assert slides[0].shapes.title.text == SCENE
    ns = {"p": "http://schemas.openxmlformats.org/presentationml/2006/main",
          "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    for k, slide in enumerate(slides[1:], 1):
        movies = [sh for sh in slide.shapes if sh.shape_type is not None and "MEDIA" in str(sh.shape_type)]
        assert len(movies) == 1, [str(sh.shape_type) for sh in slide.shapes]
        movie = movies[0]
        media = [r.target_part for r in slide.part.rels.values() if r.reltype.endswith("/media")]
        assert media and media[0].blob == (deck / "clips" / f"0{k}.mp4").read_bytes()
        poster_rid = movie._element.xpath(".//a:blip/@r:embed")[0]
        assert slide.part.related_part(poster_rid).blob == (deck / "posters" / f"0{k}.png").read_bytes()
        assert slide.has_notes_slide and NOTES[k - 1] in slide.notes_slide.notes_text_frame.text
        xml = slide._element
        cmd = xml.xpath(".//p:timing//p:cmd")
        assert cmd and cmd[0].get("cmd") == "playFrom(0.0)" and cmd[0].get("type") == "call"
        assert xml.xpath(".//p:timing//p:cTn[@presetClass='mediacall' and @nodeType='afterEffect']")
        assert xml.xpath(".//p:timing//p:cond[@evt='onBegin']")  # starts when the slide opens
        targets = {int(t) for t in xml.xpath(".//p:timing//p:spTgt/@spid")}
        assert targets == {movie.shape_id}
    with zipfile.ZipFile(pptx_file) as z:
        assert sum(n.endswith(".mp4") for n in z.namelist()) == 3


def test_pptx_pages_in_libreoffice_show_the_posters(pptx_file, deck, tmp_path):
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not (soffice and pdftoppm):
        pytest.skip("LibreOffice (soffice) or pdftoppm not found: install libreoffice-impress and poppler-utils "
                    "(make test does, as root)")
    r = subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                        "--convert-to", "pdf", "--outdir", str(tmp_path), str(pptx_file)],
                       capture_output=True, text=True, timeout=240)
    pdf = tmp_path / f"{SCENE}.pdf"
    assert pdf.is_file(), r.stdout + r.stderr
    subprocess.run([pdftoppm, "-png", "-scale-to-x", "854", "-scale-to-y", "480", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 4
    for k, page in enumerate(pages[1:], 1):
        got = np.asarray(Image.open(page).convert("RGB"))
        want = np.asarray(Image.open(deck / "posters" / f"0{k}.png").convert("RGB"))
        others = [np.asarray(Image.open(deck / "posters" / f"0{j}.png").convert("RGB")) for j in (1, 2, 3) if j != k]
        d = float(np.abs(got.astype(int) - want.astype(int)).mean())
        assert d < 6.0, f"page {k + 1} does not show beat {k}'s poster (mean difference {d:.1f})"
        assert all(float(np.abs(got.astype(int) - o.astype(int)).mean()) > d for o in others)


# ------------------------------------------------------------------------------ themes


def test_light_theme_is_kept_apart(site, tmp_path):
    cli(tmp_path, "slides", SCENE, "-q", "l", "-j", "1", "--out", str(site), "--theme", "light")
    light = site / "slides" / "480p15-light" / SCENE
    dark = site / "slides" / "480p15" / SCENE
    assert json.loads((light / "beats.json").read_text())["theme"] == "light"
    lp = np.asarray(Image.open(light / "posters" / "01.png").convert("RGB"))
    dp = np.asarray(Image.open(dark / "posters" / "01.png").convert("RGB"))
    assert lp.mean() > 200 > 60 > dp.mean()  # a white slide and the notebook's dark one
    assert (dark / "beats.json").is_file()  # not overwritten
