"""Python and Jupyter (cnnviz.render / show / explore): the same checks, engine and cache as the CLI.

Scenes render in the test process (as in a Jupyter kernel).  The fixture scene CliParams
(tests/fixtures/cli_scenes.py) renders in about a second; the example notebook, executed by
nbclient, renders real scenes at 480p15.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from PIL import Image

from cnnviz.engine.manifest import MANIFEST_NAME

from helpers import EXTRAS, FIXTURES, LOW, ROOT, assert_looping_gif


@pytest.fixture()
def api(monkeypatch, tmp_path):
    """cnnviz.api with the fixture scenes, rendering under tmp_path."""
    monkeypatch.setenv("CNNVIZ_EXTRA_SCENES", EXTRAS)
    monkeypatch.syspath_prepend(str(FIXTURES))
    monkeypatch.chdir(tmp_path)
    from cnnviz import api

    return api


@pytest.fixture()
def no_render(monkeypatch):
    """Fail the test if anything is rendered."""
    from cnnviz.engine import execute

    def refuse(*args, **kwargs):
        raise AssertionError("rendered, but should not have")

    monkeypatch.setattr(execute, "run_in_process", refuse)


def test_import_cnnviz_stays_light():
    code = ("import sys, cnnviz; f = (cnnviz.render, cnnviz.show, cnnviz.explore, cnnviz.parameters); "
            "print(sorted(m for m in ('manim', 'dask', 'distributed', 'IPython', 'ipywidgets') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_render_twice_the_second_is_a_cache_hit(api, tmp_path, monkeypatch):
    import cnnviz

    path = cnnviz.render("CliParams", n=2, grid=[[5, 6], [7, 8]])
    assert path.parent == tmp_path / "media" / "480p15" and path.name.startswith("CliParams@n=2,grid=2x2-")
    assert_looping_gif(path, LOW)
    assert not (tmp_path / "media" / "480p15" / "CliParams.gif").exists()  # never the notebook's file
    entry = json.loads((tmp_path / "media" / MANIFEST_NAME).read_text())["outputs"][f"480p15/{path.name}"]
    assert entry["values"] == {"n": 2, "grid": [[5, 6], [7, 8]]}
    stamp = path.stat().st_mtime_ns

    from cnnviz.engine import execute

    monkeypatch.setattr(execute, "run_in_process", lambda *a, **k: pytest.fail("the second call rendered again"))
    assert cnnviz.render("CliParams", n=2, grid=((5, 6), (7, 8))) == path  # same values, written another way
    assert path.stat().st_mtime_ns == stamp


def test_render_the_notebooks_example_and_other_formats(api, tmp_path):
    path = api.render("CliParams", fmt="png", quality="l", out=tmp_path / "elsewhere", n=3)  # n=3 is the default
    assert path == tmp_path / "elsewhere" / "480p15" / "CliParams.png"
    assert Image.open(path).size == LOW


@pytest.mark.parametrize("values, lines", [
    ({"n": 0, "nn": 1}, ["unknown parameter 'nn' for CliParams; did you mean: n? (see `render.py params CliParams`)",
                        "n is 0: it must be from 1 to 12"]),
    ({"n": 7}, ["CliParams@n=7: seven squares are refused by this scene's data function"]),
    ({"photo": "nope.png"}, ["photo: nope.png: no such file"]),
])
def test_values_the_scene_cannot_take_raise_before_anything_renders(api, no_render, tmp_path, values, lines):
    with pytest.raises(api.ParamError) as err:
        api.render("CliParams", **values)
    assert [p[:len(want)] for p, want in zip(err.value.problems, lines)] == lines
    assert len(err.value.problems) == len(lines)


def test_the_layout_check_runs_on_her_values(api, no_render):
    with pytest.raises(api.ParamError, match=r"CliParams@n=12: does not fit the screen with these values: "
                                             r"out-of-frame"):
        api.render("CliParams", n=12)


def test_bad_options(api, no_render):
    for kwargs, message in (({"quality": "z"}, "quality 'z'"), ({"fmt": "avi"}, "format 'avi'"),
                            ({"theme": "sepia"}, "theme 'sepia'"), ({"gif_colors": "all"}, "gif_colors 'all'"),
                            ({"fmt": "mp4", "gif_colors": "per-frame"}, "applies to GIFs")):
        with pytest.raises(api.ParamError, match=message):
            api.render("CliParams", **kwargs)
    with pytest.raises(api.ParamError, match="unknown scene 'CliParam'; did you mean: CliParams"):
        api.render("CliParam")


@pytest.fixture()
def shown(monkeypatch):
    """What IPython would display."""
    import IPython.display

    seen = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: seen.extend(objs))
    return seen


def test_show_displays_a_gif_as_an_image_and_an_mp4_as_a_video(api, shown):
    api.show("CliParams", n=2)
    api.show("CliParams", fmt="mp4", n=2)
    gif, video = shown
    assert type(gif).__name__ == "Image" and gif.format == "gif" and gif.data[:6] == b"GIF89a"
    assert gif._repr_mimebundle_()[0].keys() >= {"image/gif"}
    assert type(video).__name__ == "Video" and video.embed and "video/mp4" in video._repr_html_()
    assert "base64," in video._repr_html_()


def test_explore_shows_a_poster_then_the_animation_for_each_change(api, tmp_path):
    ex = api.explore("CliParams", photo="astronaut")
    try:
        assert set(ex.controls) == {"n", "grid"}  # numbers; the fixed photo and the text are not offered
        slider = ex.controls["n"]
        assert type(slider).__name__ == "IntSlider" and (slider.min, slider.max, slider.value) == (1, 12, 3)
        assert ex.wait(timeout=300)
        assert ex.errors == [] and ex.image.format == "gif" and ex.image.value[:6] == b"GIF89a"
        assert ex.last.name == "CliParams@photo=astronaut.gif"
        assert (tmp_path / "media" / "480p15" / "CliParams@photo=astronaut.png").is_file()  # the poster came first

        slider.value = 7  # refused by the scene: said under the controls, nothing rendered
        assert ex.wait(timeout=300)
        assert ex.errors == ["CliParams@n=7,photo=astronaut: seven squares are refused by this scene's data function"]
        assert "seven squares" in ex.status.value

        slider.value = 12  # too wide for the frame: the poster shows why, the layout check says it, no animation
        assert ex.wait(timeout=300)
        assert len(ex.errors) == 1 and "does not fit the screen with these values: out-of-frame" in ex.errors[0]
        assert ex.image.format == "png" and ex.last.name == "CliParams@n=12,photo=astronaut.png"
        assert not (tmp_path / "media" / "480p15" / "CliParams@n=12,photo=astronaut.gif").exists()

        slider.value = 4
        slider.value = 5  # a newer change: the render of 4 is cancelled or done, 5 is shown
        assert ex.wait(timeout=300)
        assert ex.errors == [] and ex.last.name == "CliParams@n=5,photo=astronaut.gif"
        assert ex.image.value == ex.last.read_bytes()
        ex.controls["grid"].value = "[[1, 2], [3"
        assert "not a value" in ex.status.value
    finally:
        ex.wait(timeout=300)


def test_example_notebook_runs_and_shows_the_rendered_images(tmp_path):
    """examples/your_own_example.ipynb, executed by nbclient in a fresh kernel (real scenes, 480p15)."""
    import nbformat
    from nbclient import NotebookClient

    src = ROOT / "examples" / "your_own_example.ipynb"
    work = tmp_path / "nb"
    work.mkdir()
    shutil.copy(src, work / src.name)
    nb = nbformat.read(work / src.name, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if o.output_type == "display_data" and ({"image/gif", "image/png"} & set(o.data))]
    kinds = [next(k for k in ("image/gif", "image/png") if k in o.data) for o in images]
    assert kinds == ["image/gif", "image/png"]  # her numbers (the animation), her photo (the poster)
    import base64

    gif = base64.b64decode(images[0].data["image/gif"])
    rendered = sorted((work / "media" / "480p15").glob("ConvExampleExplainedClean@*.gif"))
    assert len(rendered) == 1 and gif == rendered[0].read_bytes()
    poster = sorted((work / "media" / "480p15").glob("FeatureDetectionGray@photo=my_photo.png"))
    assert poster and base64.b64decode(images[1].data["image/png"]) == poster[0].read_bytes()
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "cannot convolve a 2×2 input with a 3×3 kernel" in text
    assert "unknown parameter 'dilation' for ConvExampleExplainedClean" in text
    assert "n_explained" in text  # the parameters listed
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widgets  # the explorer's controls
    waited = [line for line in text.splitlines() if line.startswith(("ConvExampleExplainedClean", "None"))]
    assert rendered[0].name + " []" in text, waited  # explorer.wait(): the animation shown, no error
    assert (work / "media" / "480p15" / (rendered[0].stem + ".png")).is_file()  # its poster


def test_a_render_in_a_thread_captures_only_what_that_thread_prints(capsys):
    """cnnviz.explore renders in a thread of the kernel: what the notebook prints meanwhile is
    not captured with the render's output (swapping sys.stdout lost it about 1 run in 10)."""
    import io
    import threading

    from cnnviz.engine.worker import _capture_output

    inside, leave, buf = threading.Event(), threading.Event(), io.StringIO()

    def render():
        with _capture_output(buf):
            print("from the render")
            inside.set()
            leave.wait(5)
            print("the render again", file=sys.stderr)

    thread = threading.Thread(target=render)
    thread.start()
    assert inside.wait(5)
    print("from the notebook")
    leave.set()
    thread.join()
    print("after it")
    seen = capsys.readouterr()
    assert seen.out == "from the notebook\nafter it\n" and seen.err == ""
    assert buf.getvalue() == "from the render\nthe render again\n"


def test_a_worker_without_her_photo_file_gets_its_bytes_with_the_job(monkeypatch, tmp_path):
    """Remote workers share no disk: the job carries the photo's bytes, written where the worker renders
    (under the same file name: the scene names the photo by it)."""
    monkeypatch.syspath_prepend(str(FIXTURES))
    from cnnviz.engine.worker import RenderJob, render_scene

    big, small = tmp_path / "big.png", tmp_path / "small.png"
    Image.new("RGB", (64, 48), "white").save(big)
    Image.new("RGB", (10, 10), "white").save(small)
    posters = []
    for photo in (big, small):
        gone = f"/nonexistent-{tmp_path.name}/her photo.png"  # the client's path: not on this machine
        job = RenderJob(scene="CliParams", module="cli_scenes", quality="l", fmt="png",
                        values={"photo": gone}, files={gone: photo.read_bytes()})
        result = render_scene(job)
        assert result.status == "ok", result.error + result.traceback
        posters.append(result.data)
    assert posters[0] != posters[1]  # each render read its own photo (the title shows its size)


def test_a_cancelled_render_stops_and_writes_nothing(monkeypatch):
    import threading

    monkeypatch.syspath_prepend(str(FIXTURES))
    from cnnviz.engine.worker import RenderJob, render_scene

    cancel = threading.Event()
    cancel.set()
    result = render_scene(RenderJob(scene="CliParams", module="cli_scenes", quality="l", fmt="gif"), cancel=cancel)
    assert result.status == "failed" and result.error == "cancelled" and result.data is None
