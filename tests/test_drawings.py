"""The shared drawings and the layout checker itself."""

from __future__ import annotations

import numpy as np
import pytest
from manim import RIGHT, UP, FadeIn, Text

from cnnviz import theme
from cnnviz.drawings import CnnvizScene, TensorStack, ValueGrid, fmt_num, label
from cnnviz.formula import Formula
from cnnviz.layout import check_scene


def test_fmt_num():
    assert fmt_num(3) == "3" and fmt_num(np.int64(-7)) == "-7"
    assert fmt_num(41.25) == "41.25" and fmt_num(50.0) == "50" and fmt_num(16.666666) == "16.67"
    assert fmt_num(-0.001) == "0"


def test_value_grid_geometry():
    g = ValueGrid(np.arange(6).reshape(2, 3), cell_size=0.5)
    assert len(g.cells) == 6 and len(g.labels) == 6
    assert g.label_at(1, 2).original_text == "5"
    assert np.isclose(g.width, 1.5, atol=0.05) and np.isclose(g.height, 1.0, atol=0.05)
    # the 2×2 window at (0, 1) is centred on the centre of its four cells
    c = np.mean([g.cell(a, b).get_center() for a in (0, 1) for b in (1, 2)], axis=0)
    np.testing.assert_allclose(g.window(0, 1, 2, 2).get_center(), c, atol=1e-9)
    with pytest.raises(ValueError, match="2-D"):
        ValueGrid(np.arange(3))


def test_gray_shading_maps_0_to_black_255_to_white():
    g = ValueGrid(np.array([[0, 255]]), shade="gray", vrange=(0, 255))
    assert g.cell(0, 0).get_fill_color().to_hex().upper() == "#000000"
    assert g.cell(0, 1).get_fill_color().to_hex().upper() == "#FFFFFF"


def test_tensor_stack_caps_sheets_but_labels_true_shape():
    t = TensorStack(4, 4, 100, max_sheets=6)
    assert len(t.sheets) == 6 and t.shape_label.original_text == "4×4×100"


def test_formula_is_latex_free_and_coloured():
    f = Formula(r"\left\lfloor \frac{N - F + 2P}{S} \right\rfloor + 1", font_size=34)
    assert len(f.submobjects) > 5
    assert f.height > 0.3
    colours = {sm.get_fill_color().to_hex().upper() for sm in f.family_members_with_points()}
    assert colours == {theme.TEXT.upper()}
    g = Formula(r"{\color{#FF0000}x} + y")
    colours = {sm.get_fill_color().to_hex().upper() for sm in g.family_members_with_points()}
    assert "#FF0000" in colours and theme.TEXT.upper() in colours


def test_formula_size_matches_text():
    f, t = Formula("x", font_size=48), Text("x", font_size=48)
    assert abs(f.height - t.height) / t.height < 0.15


class _Clean(CnnvizScene):
    def construct(self):
        a = label("left").shift(2 * RIGHT)
        b = label("right").shift(2 * UP)
        self.play(FadeIn(a), FadeIn(b))


class _Misplaced(CnnvizScene):
    def construct(self):
        a = label("a label")
        b = label("another label").shift(0.1 * UP)  # sits on top of the first
        self.play(FadeIn(a), FadeIn(b))
        far = label("out of the frame").shift(8 * RIGHT)
        self.play(FadeIn(far))


def test_layout_check_passes_a_clean_scene():
    assert check_scene(_Clean) == []


def test_layout_check_catches_a_misplaced_label():
    problems = check_scene(_Misplaced)
    kinds = {p.kind for p in problems}
    assert kinds == {"overlap", "out-of-frame"}, problems
    assert any("another label" in p.what for p in problems if p.kind == "overlap")
    assert any("out of the frame" in p.what for p in problems if p.kind == "out-of-frame")


def test_neuron_layer_with_ellipsis_and_dense_edges():
    from cnnviz.drawings import NeuronLayer, connect

    a = NeuronLayer(6, ellipsis_after=3)
    b = NeuronLayer(3).shift(3 * RIGHT)
    assert len(a) == 6 and a.ellipsis is not None
    # the ellipsis sits halfway between the 3rd and the 4th neuron drawn
    y2, ye, y3 = a.neurons[2].get_center()[1], a.ellipsis.get_center()[1], a.neurons[3].get_center()[1]
    assert y2 > ye > y3 and abs((y2 - ye) - (ye - y3)) < 1e-6
    dense = connect(a, b)
    assert len(dense) == 6 * 3
    sparse = connect(a, b, pairs=[(0, 0), (1, 0)], colors=[theme.KERNEL, theme.BIAS])
    assert [e.get_stroke_color().to_hex().upper() for e in sparse] == [theme.KERNEL.upper(), theme.BIAS.upper()]
    np.testing.assert_allclose(sparse[0].get_start(), a.neurons[0].get_right(), atol=1e-6)


def test_shape_arrow_label_sits_above():
    from cnnviz.drawings import ShapeArrow

    s = ShapeArrow([-1, 0, 0], [1, 0, 0], "5×5×1")
    assert s.text.original_text == "5×5×1"
    assert s.text.get_bottom()[1] >= s.arrow.get_top()[1] - 1e-6


def test_tensor_stack_front_sheet_is_channel_0_drawn_last():
    t = TensorStack(4, 4, 3, colors=theme.CHANNELS)
    assert t.sheets[-1] is t.front is t.sheet(0)
    assert t.front.get_stroke_color().to_hex().upper() == theme.RED.upper()
    # later channels sit behind, up and to the right
    assert t.sheet(2).get_center()[0] > t.sheet(1).get_center()[0] > t.front.get_center()[0]
    assert t.shape_label.get_top()[1] <= t.front.get_bottom()[1]


def test_image_grid_is_height_tall_and_shaded():
    from cnnviz.drawings import image_grid

    px = np.array([[0, 128], [255, 64]])
    g = image_grid(px, height=2.0)
    assert np.isclose(g.height, 2.0, atol=0.02)
    assert g.label_at(1, 0).original_text == "255"
    assert g.cell(0, 0).get_fill_color().to_hex().upper() == "#000000"
    assert g.cell(1, 0).get_fill_color().to_hex().upper() == "#FFFFFF"
    # the label reads on its cell: dark text on white, light text on black
    assert g.label_at(1, 0).get_fill_color().to_hex().upper() == "#000000"
    assert g.label_at(0, 0).get_fill_color().to_hex().upper() == "#FFFFFF"


def test_grid_heading_sits_above_in_the_role_colour():
    g = ValueGrid(np.zeros((2, 2)), color=theme.KERNEL)
    h = g.heading("kernel 2×2")
    assert h.get_bottom()[1] > g.get_top()[1]
    assert h.get_fill_color().to_hex().upper() == theme.KERNEL.upper()


class _TinyAndShort(CnnvizScene):
    def construct(self):
        self.play(FadeIn(label("unreadable", size=12)))
        self.play(FadeIn(Formula("x", font_size=34).scale(0.4).shift(2 * UP)))


def test_layout_check_catches_small_text_and_missing_beats():
    problems = check_scene(_TinyAndShort, pacing=(5, 40))
    small = [p.what for p in problems if p.kind == "too-small"]
    assert any("unreadable" in w for w in small) and any("Formula" in w for w in small), problems
    pacing = [p.what for p in problems if p.kind == "pacing"]
    assert any("lasts" in w for w in pacing) and any("beat" in w for w in pacing), problems
    assert not [p for p in check_scene(_TinyAndShort) if p.kind == "pacing"]  # pacing only when asked


class _Beats(CnnvizScene):
    def construct(self):
        self.play(FadeIn(label("one")), run_time=1)
        self.beat("the first step", hold=2)
        self.beat("the second", hold=0.5)


def test_beats_record_scene_time():
    from manim import tempconfig

    with tempconfig({"dry_run": True, "disable_caching": True, "verbosity": "ERROR", "progress_bar": "none"}):
        scene = _Beats(skip_animations=True)
        scene.render()
    assert scene.beats == pytest.approx([3.0, 3.5])
    assert scene.notes == ["the first step", "the second"]
    assert scene.opening_time == pytest.approx(1.0) and scene.played_seconds() == pytest.approx(2.5)


def test_formula_font_size_follows_scaling():
    f = Formula("x + 1", font_size=30)
    assert f.font_size == pytest.approx(30)
    f.scale(0.5)
    assert f.font_size == pytest.approx(15)


def test_pixel_image_places_pixels_and_boxes():
    from cnnviz.drawings import PixelImage, zoom_callout

    arr = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    img = PixelImage(arr, height=3.0)
    assert img.pixel_size == pytest.approx(1.0) and img.image.width == pytest.approx(4.0)
    np.testing.assert_allclose(img.pixel_center(0, 0), img.image.get_corner(UP + np.array([-1, 0, 0])) + [0.5, -0.5, 0])
    b = img.box(1, 1, 2, 2)
    assert b.width == pytest.approx(2.0) and b.height == pytest.approx(2.0)
    np.testing.assert_allclose(b.get_center(), (img.pixel_center(1, 1) + img.pixel_center(2, 2)) / 2)
    rgb = PixelImage(np.zeros((2, 2, 3), dtype=np.uint8), height=1)
    assert rgb.rows == rgb.cols == 2
    with pytest.raises(ValueError, match="uint8"):
        PixelImage(arr.astype(float), height=1)
    with pytest.raises(ValueError, match="H×W"):
        PixelImage(np.zeros((2, 2, 5), dtype=np.uint8), height=1)
    # the callout joins the box's right corners to the zoomed grid's left corners
    grid = ValueGrid(arr[1:3, 1:3]).shift(5 * RIGHT)
    lines = zoom_callout(b, grid)
    np.testing.assert_allclose(lines[0].get_start(), b.get_corner(UP + RIGHT))
    np.testing.assert_allclose(lines[0].get_end(), grid.get_corner(UP + np.array([-1, 0, 0])))


def test_heat_shading_runs_from_panel_to_highlight():
    g = ValueGrid(np.array([[1, 9]]), shade="heat")
    lo, hi = (g.cell(0, k).get_fill_color().to_hex().upper() for k in (0, 1))
    assert hi == theme.HIGHLIGHT.upper() and lo != hi


class _ThickFrameAtTheEdge(CnnvizScene):
    def construct(self):
        from manim import Rectangle, config
        # the path ends 0.01 inside the bottom edge, but its 12-wide stroke reaches 0.06 past it
        r = Rectangle(width=2, height=1, stroke_width=12)
        r.move_to([0, -config.frame_height / 2 + 0.5 + 0.01, 0])
        self.add(r)
        self.play(FadeIn(label("x")))


def test_layout_check_counts_the_stroke_width():
    problems = check_scene(_ThickFrameAtTheEdge)
    assert [p.kind for p in problems] == ["out-of-frame"], problems


def test_a_text_built_again_is_the_same_drawing_as_a_new_text():
    """make_text builds a Text once per process: the copy it hands out has a new Text's points, colours
    and size, and is independent of the template and of the other copies."""
    from manim import Text

    from cnnviz import texts as drawings
    from cnnviz import theme

    kw = {"font": theme.MONO, "font_size": 31, "color": theme.POSITIVE}
    first = drawings.make_text("x = -1.25 (memo)", **kw)
    first.shift([1, 2, 0]).set_color(theme.NEGATIVE)  # changing one copy changes no other
    second = drawings.make_text("x = -1.25 (memo)", **kw)
    fresh = Text("x = -1.25 (memo)", **kw)
    mine, theirs = second.family_members_with_points(), fresh.family_members_with_points()
    assert len(mine) == len(theirs) > 5
    for a, b in zip(mine, theirs):
        assert np.array_equal(a.points, b.points)
        assert np.array_equal(a.fill_rgbas, b.fill_rgbas) and np.array_equal(a.stroke_rgbas, b.stroke_rgbas)
    assert second.font_size == fresh.font_size and second.text == fresh.text
    assert not np.allclose(first.get_center(), second.get_center())
    assert drawings.make_text("x = -1.25 (memo)", **{**kw, "font_size": 32}).height > second.height


def test_the_text_memo_stays_within_its_budget(monkeypatch):
    from cnnviz import texts as drawings

    monkeypatch.setattr(drawings, "_TEXTS", drawings.OrderedDict())
    monkeypatch.setattr(drawings, "_texts_bytes", 0)
    monkeypatch.setattr(drawings, "_TEXTS_MAX_BYTES", 20_000)
    for i in range(12):
        label(f"line {i}")
    assert 0 < drawings._texts_bytes <= 20_000
    assert drawings._texts_bytes == sum(size for _, size in drawings._TEXTS.values())
    kept = [key[0] for key in drawings._TEXTS]
    assert kept[-1] == "line 11" and "line 0" not in kept


def _same_drawing(a, b) -> None:
    mine, theirs = a.family_members_with_points(), b.family_members_with_points()
    assert len(mine) == len(theirs) > 3
    for p, q in zip(mine, theirs):
        assert np.array_equal(p.points, q.points)
        assert np.array_equal(p.fill_rgbas, q.fill_rgbas) and np.array_equal(p.stroke_rgbas, q.stroke_rgbas)


def test_glyph_outlines_come_back_from_the_disk_cache_unchanged(tmp_path, monkeypatch):
    """A Text's parsed glyphs are stored under CNNVIZ_TEXT_CACHE; the next process (here: an empty
    memo) reads them instead of parsing the SVG again, and gets a new Text's points and colours.
    A damaged file is parsed again and rewritten."""
    import manim

    from cnnviz import texts

    monkeypatch.setenv("CNNVIZ_TEXT_CACHE", str(tmp_path))
    monkeypatch.setattr(texts, "_TEXTS", texts.OrderedDict())
    parsed = []
    real = manim.SVGMobject.generate_mobject
    monkeypatch.setattr(manim.SVGMobject, "generate_mobject", lambda self: parsed.append(1) or real(self))
    kw = {"font": theme.FONT, "font_size": 27, "color": theme.INPUT}
    first = texts.make_text("kernel 3×3, bias −0.5", **kw)
    assert len(parsed) == 1 and len(list(tmp_path.glob("*.pkl"))) == 1
    monkeypatch.setattr(texts, "_TEXTS", texts.OrderedDict())  # a new process: nothing in memory
    second = texts.make_text("kernel 3×3, bias −0.5", **kw)
    assert len(parsed) == 1  # read from disk, not parsed
    monkeypatch.setenv("CNNVIZ_FRAME_CACHES", "0")
    fresh = manim.Text("kernel 3×3, bias −0.5", **kw)
    assert len(parsed) == 2
    _same_drawing(first, fresh)
    _same_drawing(second, fresh)
    monkeypatch.delenv("CNNVIZ_FRAME_CACHES")
    [stored] = tmp_path.glob("*.pkl")
    stored.write_bytes(b"not a pickle")
    monkeypatch.setattr(texts, "_TEXTS", texts.OrderedDict())
    third = texts.make_text("kernel 3×3, bias −0.5", **kw)
    assert len(parsed) == 3 and stored.stat().st_size > 1000
    _same_drawing(third, fresh)


def test_the_disk_cache_is_only_a_private_directory(tmp_path, monkeypatch):
    import os

    from cnnviz import texts

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    monkeypatch.setenv("CNNVIZ_TEXT_CACHE", str(shared))
    assert texts.text_cache_dir() is None  # another user could plant a pickle there
    monkeypatch.setenv("CNNVIZ_TEXT_CACHE", str(tmp_path / "mine"))
    assert texts.text_cache_dir() == tmp_path / "mine" and (tmp_path / "mine").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("CNNVIZ_TEXT_CACHE", "off")
    assert texts.text_cache_dir() is None


def test_the_disk_cache_drops_the_least_recently_used(tmp_path):
    import os

    from cnnviz import texts

    for i in range(10):
        f = tmp_path / f"{i}.pkl"
        f.write_bytes(b"x" * 1000)
        os.utime(f, (1000 + i, 1000 + i))
    texts.prune(tmp_path, max_bytes=20_000)
    assert len(list(tmp_path.glob("*.pkl"))) == 10  # within the budget: nothing goes
    texts.prune(tmp_path, max_bytes=5_000)
    assert sorted(int(f.stem) for f in tmp_path.glob("*.pkl")) == [6, 7, 8, 9]  # ≤ 80 %: the newest stay


def test_scenes_build_their_texts_through_the_text_caches():
    """Scenes and drawings write text with label/make_text (cnnviz.texts), never Text(...) itself:
    a Text built directly misses both caches (40–180 ms each instead of a few)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    direct = [f"{p.relative_to(root)}:{n}" for p in [*(root / "scenes").glob("*.py"), *(root / "cnnviz").rglob("*.py")]
              if p.name != "texts.py"
              for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
              if re.search(r"(?<![\w.])Text\(", line.split("#")[0]) and not line.lstrip().startswith(("#", '"', "'"))]
    assert not direct, f"Text(...) built directly at {direct}: use cnnviz.drawings.label or cnnviz.texts.make_text"
