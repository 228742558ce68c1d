"""Each rule of the layout check (cnnviz/layout.py) catches a bad toy scene and passes a good one;
the notation module; the notebook widths and each scene's minimum font; ValueGrid and NeuronLayer
keeping numbers inside their cells."""

from __future__ import annotations

import numpy as np
import pytest
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    FadeIn,
    FadeOut,
    FadeTransform,
    Rectangle,
    ReplacementTransform,
    Scene,
    Transform,
    TransformFromCopy,
    TransformMatchingShapes,
    config,
)

from cnnviz import notation, registry, theme
from cnnviz.drawings import CnnvizScene, NeuronLayer, ValueGrid, label
from cnnviz.formula import Formula
from cnnviz.layout import RULES, check_scene, hidden_problems


def kinds(scene_cls, **kw) -> set[str]:
    return {p.kind for p in check_scene(scene_cls, **kw)}


def only(problems, kind):
    return [p for p in problems if p.kind == kind]


# ------------------------------------------------------------------------------------------- edge
class _NearTheEdge(Scene):
    def construct(self):
        t = label("close to the left edge")
        t.move_to([-config.frame_width / 2 + t.width / 2 + 0.15, 0, 0])  # 0.15 from the edge
        self.play(FadeIn(t))


class _OffTheFrame(Scene):
    def construct(self):
        self.play(FadeIn(label("half out").move_to([config.frame_width / 2, 0, 0])))


class _MarginKept(CnnvizScene):
    def construct(self):
        t = label("at the margin")
        t.move_to([-config.frame_width / 2 + t.width / 2 + 0.31, 0, 0])
        sheet = Rectangle(width=2, height=config.frame_height, stroke_width=0)  # a background-coloured sheet
        sheet.set_fill(theme.BACKGROUND, opacity=1).move_to([config.frame_width / 2 - 1, 0, 0])
        self.add(sheet)
        self.play(FadeIn(t))
        self.play(FadeIn(self.curtain()))  # a whole-frame curtain


def test_edge_rule_catches_content_hugging_the_frame():
    problems = check_scene(_NearTheEdge)
    assert [p.kind for p in problems] == ["edge"], problems
    assert "close to the left edge" in problems[0].what and "0.15 from the frame's edge" in problems[0].what
    assert kinds(_OffTheFrame) == {"out-of-frame"}


def test_edge_rule_passes_the_margin_backgrounds_and_curtains():
    assert check_scene(_MarginKept) == []


# ------------------------------------------------------------------------------------------- too-small
class _Sizes(Scene):
    def construct(self):
        self.play(FadeIn(label("twenty-four", size=24)))


class _SmallGridNumbers(Scene):
    def construct(self):
        self.play(FadeIn(ValueGrid(np.arange(4).reshape(2, 2), cell_size=0.3)))  # default font 10.6


def test_too_small_uses_the_scenes_minimum():
    assert check_scene(_Sizes) == []  # 24 ≥ theme.MIN_FONT
    problems = check_scene(_Sizes, min_font=30)  # a half-width scene's minimum
    assert [p.kind for p in problems] == ["too-small"] and "24.0 < 30" in problems[0].what


def test_every_number_of_a_value_grid_counts():
    small = only(check_scene(_SmallGridNumbers), "too-small")
    assert len(small) == 4, small


def test_catalog_scenes_get_their_minimum_from_the_registry():
    """A scene the notebook shows at half width is held to 30, another to theme.MIN_FONT; a subclass
    (another example) keeps its scene's minimum."""
    from scenes.ch2_architecture import Architecture_1_Grey_1Filter

    assert registry.min_font(registry.get("Architecture_1_Grey_1Filter")) == 30
    other = type("Other", (Architecture_1_Grey_1Filter,), {"label_size": 22})  # its labels at the full-width size
    small = only(check_scene(other, rules=("too-small",)), "too-small")
    assert small and all("< 30" in p.what for p in small)


# ------------------------------------------------------------------------------------------- cell-fit
class _TooWideInItsCell(Scene):
    def construct(self):
        grid = ValueGrid([[1, 2]], cell_size=0.8, font_size=24)
        late = grid.value_label(0, 1, 123456)  # a value the grid was not built for
        self.add(grid)
        self.play(FadeIn(late))


class _GridSizedForItsNumbers(Scene):
    def construct(self):
        self.play(FadeIn(ValueGrid([[1, -1419], [250, 7]], cell_size=0.62, font_size=22)))


def test_cell_fit_catches_a_number_wider_than_80_percent_of_its_cell():
    problems = only(check_scene(_TooWideInItsCell), "cell-fit")
    assert len(problems) == 1 and "123,456" in problems[0].what, problems


def test_value_grid_widens_its_cells_for_its_numbers():
    assert check_scene(_GridSizedForItsNumbers) == []
    g = ValueGrid([[1, -1419], [250, 7]], cell_size=0.62, font_size=22)
    assert g.cell_width > 0.62 and g.cell(0, 0).height == pytest.approx(0.62)
    widest = max(t.width for t in g.labels)
    assert widest <= theme.CELL_FILL * g.cell_width + 1e-6
    assert all(t.font_size == pytest.approx(22) for t in g.labels)  # one size for every number, never shrunk
    assert g.label_at(0, 1).original_text == "-1,419"
    # a window and a block centre follow the wider cells
    np.testing.assert_allclose(g.window(0, 0, 2, 2).get_center(), g.get_center(), atol=1e-6)
    small = ValueGrid([[1, 2]], cell_size=0.62)
    assert small.cell_width == 0.62  # digits that fit keep square cells


def test_value_grid_refuses_when_widening_breaks_its_width_limit():
    with pytest.raises(ValueError, match=r"'-1,419' at font size 22 .* more than the 1.50 allowed"):
        ValueGrid([[1, -1419, 3]], cell_size=0.5, font_size=22, max_width=1.5)


class _NeuronValues(Scene):
    values = (1.51, 0.59)

    def construct(self):
        layer = NeuronLayer(2, radius=0.42, spacing=1.0)
        self.add(layer)
        self.play(FadeIn(layer.values_inside(self.values, size=theme.SMALL_SIZE)))


class _NeuronLongValues(_NeuronValues):
    values = (1234.56, 0.59)


def test_neuron_values_fit_or_are_reported():
    layer = NeuronLayer(2, radius=0.42, spacing=1.0)
    vals = layer.values_inside([1.51, 0.59], size=theme.SMALL_SIZE)
    assert all(t.width <= theme.CELL_FILL * 0.84 + 1e-6 for t in vals)
    assert theme.MIN_FONT < vals[0].font_size < theme.SMALL_SIZE  # shrunk to fit, not below the minimum
    assert len({round(t.font_size, 6) for t in vals}) == 1 and vals[0].font_size >= theme.MIN_FONT - 1e-6
    assert check_scene(_NeuronValues) == []
    problems = only(check_scene(_NeuronLongValues), "cell-fit")
    assert problems and "1,234.56" in problems[0].what and "neuron" in problems[0].what


# ------------------------------------------------------------------------------------------- overlap, mid-animation
class _CrossFade(Scene):
    """Two captions cross-fading in one place: clean at every held frame, garbled in between."""

    def construct(self):
        a = label("P = 0: no padding")
        self.add(a)
        self.play(FadeOut(a), FadeIn(label("P = 1: one ring of zeros")))


class _OutThenIn(Scene):
    def construct(self):
        a = label("P = 0: no padding")
        self.add(a)
        self.play(FadeOut(a))
        self.play(FadeIn(label("P = 1: one ring of zeros")))


class _FlyOver(Scene):
    """A label flying across another one: at rest apart, on top of it half way."""

    dx = 8.0

    def construct(self):
        self.add(label("still"))
        flyer = label("flyer").shift(4 * LEFT + 0.05 * UP)
        self.add(flyer)
        self.play(flyer.animate.shift(self.dx * RIGHT))


class _FlyBeside(_FlyOver):
    dx = 1.5


def test_overlap_is_sampled_in_the_middle_of_every_animation():
    problems = check_scene(_CrossFade)
    assert [p.kind for p in problems] == ["overlap"] and problems[0].step.startswith("mid play 1"), problems
    assert check_scene(_CrossFade, mid_animation=False) == []  # the held frames alone are clean
    assert check_scene(_OutThenIn) == []
    fly = check_scene(_FlyOver)
    assert [p.kind for p in fly] == ["overlap"] and "flyer" in fly[0].what, fly
    assert check_scene(_FlyBeside) == []


# ------------------------------------------------------------------------------------------- morph
def _morphing(make):
    class _Scene(Scene):
        def construct(self):
            self.play(make(self))

    return _Scene


def _transform(cls, a="P = 0: no padding", b="P = 1: one ring of zeros"):
    def make(scene):
        old = label(a)
        scene.add(old)
        return cls(old, label(b).shift(0.5 * DOWN))

    return make


@pytest.mark.parametrize("cls", [Transform, ReplacementTransform, TransformFromCopy, TransformMatchingShapes,
                                 FadeTransform])
def test_morph_rule_catches_a_transform_between_different_texts(cls):
    problems = only(check_scene(_morphing(_transform(cls))), "morph")
    assert len(problems) == 1 and "'P = 0: no padding' into 'P = 1: one ring of zeros'" in problems[0].what, problems


def test_morph_rule_passes_moves_and_same_text_transforms():
    def moved(scene):
        t = label("same words")
        scene.add(t)
        return t.animate.shift(UP)

    def same(scene):
        grid = ValueGrid([[1, 2], [3, 4]])
        scene.add(grid)
        return Transform(grid, ValueGrid([[1, 2], [3, 4]]).shift(2 * RIGHT))

    def into_group(scene):  # a grid whose numbers change is a morph too
        grid = ValueGrid([[1, 2], [3, 4]])
        scene.add(grid)
        return ReplacementTransform(grid, ValueGrid([[1, 2], [3, 5]]))

    assert not only(check_scene(_morphing(moved)), "morph")
    assert not only(check_scene(_morphing(same)), "morph")
    assert not only(check_scene(_morphing(_transform(Transform, "same", "same"))), "morph")
    bad = only(check_scene(_morphing(into_group)), "morph")
    assert len(bad) == 1 and "'4' into '5'" in bad[0].what


# ------------------------------------------------------------------------------------------- hidden
class _Declares(Scene):
    shows = ("42", "1,419")

    @staticmethod
    def data():
        return {"total": 1419, "part": 42}

    def must_show(self, d):
        return ["42", notation.fmt_int(d["total"]), "7 in row 2"]

    def construct(self):
        d = self.data()
        texts = [label(s) for s in self.shows]
        for k, t in enumerate(texts):
            t.shift(k * DOWN)
        self.play(*(FadeIn(t) for t in texts))
        self.play(FadeIn(label("the 7 in row 2 of the map").shift(2 * UP)))
        self.play(FadeIn(label(f"{d['part']}").shift(10 * RIGHT)))  # off the frame: not shown


class _Hides(_Declares):
    shows = ("42", "21,419")  # "1,419" only as part of a longer number


def test_hidden_rule_wants_every_declared_value_on_screen():
    assert not only(check_scene(_Declares), "hidden")
    problems = only(check_scene(_Hides), "hidden")
    assert [p.what for p in problems] == ["'1,419' is never on screen (declared by must_show)"]


def test_hidden_values_match_as_whole_numbers():
    shown = {"sum = -1,419", "3×(-1)", "0.59", "row 12"}
    assert not hidden_problems(["-1,419", "-1", "0.59", "row 12"], shown, catalog=True)
    for missing in ("1,419", "1", "0.5", "row 1", "59"):
        assert hidden_problems([missing], shown, catalog=True), missing
    assert hidden_problems([], shown, catalog=True)[0].what.startswith("the scene declares nothing")
    assert hidden_problems([], shown, catalog=False) == []


# ------------------------------------------------------------------------------------------- notation
class _Strays(Scene):
    def construct(self):
        self.play(FadeIn(label("Z = X ⋆ W + b").shift(UP)), FadeIn(label("sum = -1419").shift(DOWN)))
        self.play(FadeIn(label("core.conv2d raises ValueError").shift(2 * DOWN)))
        self.play(FadeIn(Formula(r"\nabla W = X \otimes \delta").shift(2 * UP)))


class _Conventions(Scene):
    def construct(self):
        self.play(FadeIn(label(f"Z = X {notation.CONV} W + b").shift(UP)),
                  FadeIn(label(f"sum = {notation.fmt_num(-1419)}").shift(DOWN)))
        self.play(FadeIn(notation.as_code(label("np.stack(images)", mono=True)).shift(2 * DOWN)))
        self.play(FadeIn(label(f"{notation.row_col(0, 2)} of {notation.photo_name('camera')}").shift(2 * UP)))


def test_notation_rule_finds_strays_in_visible_texts():
    problems = only(check_scene(_Strays), "notation")
    found = " | ".join(p.what for p in problems)
    for stray in ('"⋆"', '"1419"', '"core.conv2d"', '"ValueError"', r"\star/\otimes"):
        assert stray in found, found


def test_notation_rule_passes_the_conventions_and_marked_code():
    assert check_scene(_Conventions) == []


@pytest.mark.parametrize("text, stray", [
    ("(N×N×C) ⊗ (F×F×C×M)", "⊗"), ("x ∗ w", "∗"), ("X * W", '"*"'), ("-1419 next to 1,419", "1419"),
    ("a 28x28 digit", "28x28"), ("row 0, column 3", "row 0"), ("camera, 512×512", "camera"),
    ("random crops of chelsea", "chelsea"), ("np.stack: 32 arrays", "np.stack"), ("in train() mode", "train()"),
    ("ValueError: cannot convolve", "ValueError"), ("the x_hat values", "x_hat"),
])
def test_strays(text, stray):
    assert any(stray in s for s in notation.strays(text)), notation.strays(text)


@pytest.mark.parametrize("text", [
    "X ⊛ W = 1,419", "-1,419.5", "0.12345", "a 28×28 digit", "row 1, column 3", "the cameraman photo",
    "a cat photo", "the astronaut photo", "e.g. 0.59 and 3.14", "3×(-1) + 2×4", "(32, 3, 64, 64)", "784 → 100 → 10",
])
def test_no_strays(text):
    assert notation.strays(text) == []


def test_notation_in_formulas_and_markup():
    assert notation.strays(r"{\color{#F4A259}1{,}419} + x_{11}", latex=True) == []
    assert notation.strays(r"\frac{8000}{32}", latex=True)
    assert notation.strays('<span foreground="#FF0000">1,419</span>', markup=True) == []
    assert notation.strays("np.stack(images)", code=True) == []


def test_number_formats():
    assert notation.fmt_int(89610) == "89,610" and notation.fmt_int(-1419) == "-1,419" and notation.fmt_int(7) == "7"
    assert notation.fmt_num(1419) == "1,419" and notation.fmt_num(np.int64(-3000000)) == "-3,000,000"
    assert notation.fmt_num(12345.678) == "12,345.68" and notation.fmt_num(41.25) == "41.25"
    assert notation.fmt_num(50.0) == "50" and notation.fmt_num(-0.001) == "0" and notation.fmt_num(True) == "1"
    from cnnviz.drawings import fmt_int, fmt_num

    assert fmt_num(-1419) == "-1,419" and fmt_int(3000000) == "3,000,000"


def test_positions_and_photos():
    assert notation.row_col(0, 0) == "row 1, column 1" and notation.row_col(13, 2) == "row 14, column 3"
    assert notation.row_name(4) == "row 5" and notation.column_name(0) == "column 1"
    from cnnviz import images

    assert set(notation.PHOTO_NAMES) == set(images.PHOTOS)
    assert notation.photo_name("chelsea") == "a cat photo" and notation.photo_name("/tmp/mine.png") == "your photo"


# ------------------------------------------------------------------------------------------- the check itself
def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="unknown layout rule"):
        check_scene(_Sizes, rules=("overlap", "spacing"))
    assert set(RULES) == {"out-of-frame", "edge", "overlap", "morph", "too-small", "cell-fit", "hidden", "notation",
                          "pacing"}


def test_rules_can_be_chosen():
    assert check_scene(_Strays, rules=("overlap",)) == []
    assert {p.kind for p in check_scene(_Strays, rules=("notation",))} == {"notation"}


# ------------------------------------------------------------------------------------------- widths and fonts
def test_min_font_by_notebook_width():
    half = [s for s in registry.CATALOG if s.notebook_width == 0.5]
    assert len(half) == 14
    assert {registry.min_font(s) for s in half} == {30}
    assert all(registry.min_font(s) == theme.MIN_FONT for s in registry.CATALOG if s.notebook_width > 0.5)
    # the figure behind 30: a digit of that size, shown 500 px wide, is at least 11 px tall
    digit_px = 30 * theme.DIGIT_HEIGHT * 500 / theme.FRAME_WIDTH
    assert 11 <= digit_px < 11.5
    assert 20 * theme.DIGIT_HEIGHT * 500 / theme.FRAME_WIDTH < 8  # MIN_FONT there: what the review saw


def test_digit_height_constant_is_manims():
    from manim import Text

    assert Text("0123456789", font=theme.FONT, font_size=20).height == pytest.approx(20 * theme.DIGIT_HEIGHT, rel=0.01)
    assert theme.FRAME_WIDTH == pytest.approx(config.frame_width)
