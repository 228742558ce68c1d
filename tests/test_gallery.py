"""`gallery`: render a fixture scene, build DIR/index.html, load it in headless Chromium.

The browser check needs ``/usr/bin/chromium`` (Debian package ``chromium``;
``make test`` installs it when run as root).  Without it the browser test is
skipped with a message; the HTML checks still run.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
CHROMIUM = os.environ.get("CNNVIZ_CHROMIUM", "/usr/bin/chromium")

# Injected into a copy of the page (the gallery itself has no script): records every
# failed resource, script error and console.error, then writes a verdict into the DOM.
CHECK_SCRIPT = """<script>
window.__problems = [];
window.addEventListener('error', function (e) {
  var t = e.target || {};
  window.__problems.push('error: ' + (e.message || t.src || t.href || 'unknown'));
}, true);
(function () {
  var original = console.error;
  console.error = function () {
    window.__problems.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
})();
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                .map(function (i) { return i.getAttribute('src'); });
  var pre = document.createElement('pre');
  pre.id = 'cnnviz-check';
  pre.textContent = JSON.stringify({images: imgs.length, bad: bad, problems: window.__problems,
                                    widths: imgs.map(function (i) { return i.naturalWidth; })});
  document.body.appendChild(pre);
});
</script>"""


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FIXTURES), str(ROOT), env.get("PYTHONPATH", "")]))
    env["CNNVIZ_EXTRA_SCENES"] = "cli_scenes:CliQuick"
    return env


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, str(ROOT / "render.py"), *args], cwd=tmp_path, env=_env(tmp_path),
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


@pytest.fixture(scope="module")
def gallery_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("gallery")
    out = tmp / "site"
    _cli(tmp, "render", "CliQuick", "-q", "l", "--out", str(out))
    _cli(tmp, "render", "CliQuick", "-q", "l", "--format", "png", "--out", str(out))
    _cli(tmp, "render", "CliQuick", "-q", "l", "--format", "mp4", "--out", str(out))
    r = _cli(tmp, "gallery", "--out", str(out))
    assert "1 scene" in r.stdout
    return out


def test_gallery_html_is_self_contained_and_relative(gallery_dir):
    page = (gallery_dir / "index.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert 'id="CliQuick"' in page
    # the card shows a poster (the animation's first frame, its opening picture) linking to the animation
    assert '<a href="480p15/CliQuick.gif"><img src="posters/480p15/CliQuick.png"' in page
    from PIL import Image, ImageChops

    with Image.open(gallery_dir / "480p15" / "CliQuick.gif") as gif:
        first = gif.convert("RGB")
    with Image.open(gallery_dir / "posters" / "480p15" / "CliQuick.png") as png:
        assert ImageChops.difference(first, png.convert("RGB")).getbbox() is None
    assert 'href="480p15/CliQuick.mp4"' in page and 'href="480p15/CliQuick.png"' in page
    assert "Chapter 0" in page and "extra" in page  # chapter and notebook section of the scene
    assert str(gallery_dir) not in page and "file://" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no network resources"


def _chromium_check(page: Path, tmp_path: Path) -> tuple[dict, str]:
    profile = tmp_path / "chromium-profile"
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
        "--virtual-time-budget=15000", "--dump-dom", page.as_uri(),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="cnnviz-check">(.*?)</pre>', r.stdout, re.S)
    assert m, f"no verdict in the DOM (exit {r.returncode}):\n{r.stderr[-3000:]}"
    return json.loads(html.unescape(m.group(1))), r.stderr


def test_gallery_loads_in_headless_chromium(gallery_dir, tmp_path):
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"{CHROMIUM} not found: install the Debian package 'chromium' (make test does, as root)")
    # the folder can be moved: check a copy somewhere else
    moved = tmp_path / "moved" / "site"
    shutil.copytree(gallery_dir, moved)
    page = (moved / "index.html").read_text(encoding="utf-8")
    check = moved / "_check.html"
    check.write_text(page.replace("<head>", "<head>" + CHECK_SCRIPT, 1), encoding="utf-8")

    verdict, stderr = _chromium_check(check, tmp_path)
    assert verdict["images"] >= 1
    assert verdict["bad"] == [], verdict
    assert all(w == 854 for w in verdict["widths"]), verdict
    assert verdict["problems"] == [], verdict
    console_errors = [line for line in stderr.splitlines() if "CONSOLE" in line and "_check.html" in line]
    assert not console_errors, console_errors
