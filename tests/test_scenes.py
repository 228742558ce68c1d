"""Every implemented scene: its data (no rendering), its layout (construct without frames), no LaTeX."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import is_dataclass

import numpy as np
import pytest
from scipy.signal import correlate2d

from cnnviz import registry

SPECS = [s for s in registry.CATALOG if registry.is_implemented(s)]
IDS = [s.name for s in SPECS]


def test_catalog_is_the_spec():
    names = [s.name for s in registry.CATALOG]
    assert len(names) == 36 and len(set(names)) == 36
    assert {s.chapter for s in registry.CATALOG} == {1, 2, 3}
    paths = [s.notebook_path for s in registry.CATALOG if s.notebook_path]
    assert len(paths) == len(set(paths)) == 29
    assert registry.get("Dropout").notebook_path == "assets/dropout.gif"
    assert registry.get("SparseVsDense").notebook_path == "assets/output.gif"
    assert (registry.get("ConvExampleExplainedClean").notebook_path
            == "media/videos/CNN/720p30/ConvExampleExplainedClean_ManimCE_v0.19.0.gif")


def test_catalog_paths_are_the_notebooks(notebook_text):
    for spec in registry.CATALOG:
        if spec.notebook_path:
            assert f'src="{spec.notebook_path}"' in notebook_text, spec.name


def _notebook_widths(text: str) -> dict[str, float]:
    """Each image of the notebook's HTML → how wide it is shown, as a fraction of the text column: the
    product of the ``width: N%`` of every table, cell and div around it and of its own."""
    from html.parser import HTMLParser

    def pct(attrs: dict) -> float:
        m = re.search(r"(?:^|;)\s*width:\s*([\d.]+)%", attrs.get("style") or "")
        if m:
            return float(m.group(1)) / 100
        return float(attrs["width"].rstrip("%")) / 100 if (attrs.get("width") or "").endswith("%") else 1.0

    class Widths(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open: list[tuple[str, float]] = []
            self.found: dict[str, float] = {}

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "img":
                self.found[attrs["src"]] = float(np.prod([w for _, w in self.open])) * pct(attrs)
            elif tag in ("table", "td", "th", "div", "p"):
                self.open.append((tag, pct(attrs)))

        def handle_endtag(self, tag):
            for k in range(len(self.open) - 1, -1, -1):
                if self.open[k][0] == tag:
                    del self.open[k:]
                    break

    parser = Widths()
    parser.feed(text)
    return parser.found


def test_notebook_widths_are_the_notebooks(notebook_text):
    """The registry's width of each scene is the notebook's HTML, re-read: 14 side by side at half width."""
    shown = _notebook_widths(notebook_text)
    for spec in registry.CATALOG:
        if spec.notebook_path:
            assert spec.notebook_width == pytest.approx(shown[spec.notebook_path]), spec.name
        else:
            assert spec.notebook_width == 1.0, spec.name
    assert sum(1 for s in registry.CATALOG if s.notebook_width == 0.5) == 14


@pytest.fixture(scope="session")
def notebook_text():
    here = os.path.dirname(__file__)
    path = os.path.join(here, "..", "..", "shared", "notebook", "CNN_notebook.md")
    if not os.path.exists(path):
        pytest.skip("the course notebook (../shared/notebook) is not next to this checkout")
    with open(path, encoding="utf-8") as fh:
        return fh.read()


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_scene_is_a_manim_scene_with_data(spec):
    from manim import Scene

    cls = spec.load()
    assert issubclass(cls, Scene)
    assert cls.__module__ == spec.module_name  # `manim render FILE` finds it
    data = cls.data()
    assert is_dataclass(data)


# ----------------------------------------------------------------- the layout rules on every scene
# Each scene runs once per example (cached); each rule is one test, an expected failure (strict) while the
# scene is listed in tests/layout_known.py for it: fixing a scene fails the test until its entry goes.
_LAYOUT_RULES = ("out-of-frame", "edge", "overlap", "morph", "too-small", "cell-fit", "hidden", "notation", "pacing")
_LAYOUT_RUNS: dict = {}


def _layout_problems(spec, other: bool):
    from cnnviz.layout import check_scene
    from layout_examples import NO_OTHER_EXAMPLE, OTHER_EXAMPLES, with_example

    key = (spec.name, other)
    if key not in _LAYOUT_RUNS:
        cls = spec.load()
        if other:
            if spec.name in NO_OTHER_EXAMPLE:
                raise AssertionError(NO_OTHER_EXAMPLE[spec.name])
            cls = with_example(cls, **OTHER_EXAMPLES[spec.name])
        _LAYOUT_RUNS[key] = check_scene(cls, pacing=(5, 40))
    return _LAYOUT_RUNS[key]


def _layout_cases(known: dict) -> list:
    cases = []
    for spec in SPECS:
        for rule in _LAYOUT_RULES:
            marks = ([pytest.mark.xfail(strict=True, reason=f"{spec.name} still breaks {rule!r} (tests/layout_known.py)")]
                     if rule in known.get(spec.name, ()) else [])
            cases.append(pytest.param(spec, rule, marks=marks, id=f"{spec.name}-{rule}"))
    return cases


def _assert_rule(problems, rule):
    hits = [p for p in problems if p.kind == rule]
    assert not hits, f"{len(hits)} {rule} problem(s):\n" + "\n".join(map(str, hits[:40]))


def _known(name):
    import layout_known

    return getattr(layout_known, name)


@pytest.mark.parametrize("spec, rule", _layout_cases(_known("KNOWN")))
def test_layout(spec, rule, no_latex):
    """Every rule of the layout check on every scene with the notebook's example."""
    _assert_rule(_layout_problems(spec, other=False), rule)


@pytest.mark.parametrize("spec, rule", _layout_cases(_known("KNOWN_OTHER")))
def test_layout_other_example(spec, rule, no_latex):
    """The same with another example (tests/layout_examples.py): the scene adapts to the sizes it gets."""
    _assert_rule(_layout_problems(spec, other=True), rule)


def test_known_layout_problems_name_real_scenes_and_rules():
    from layout_examples import NO_OTHER_EXAMPLE, OTHER_EXAMPLES

    names = {s.name for s in registry.CATALOG}
    for table in (_known("KNOWN"), _known("KNOWN_OTHER")):
        assert set(table) <= names and all(set(rules) <= set(_LAYOUT_RULES) for rules in table.values())
    assert set(OTHER_EXAMPLES) | set(NO_OTHER_EXAMPLE) == names and not set(OTHER_EXAMPLES) & set(NO_OTHER_EXAMPLE)
    for name in NO_OTHER_EXAMPLE:  # no example: every rule of it is expected to fail
        assert set(_known("KNOWN_OTHER")[name]) == set(_LAYOUT_RULES), name
    from cnnviz.layout import RULES

    assert set(RULES) == set(_LAYOUT_RULES)


def test_scenes_end_steps_on_beats_not_bare_waits():
    """Teaching steps end with ``self.beat()``: one place to make every scene step-through later."""
    import re
    from pathlib import Path

    for module in sorted({s.module_name for s in registry.CATALOG}):
        path = Path(__file__).resolve().parents[1] / (module.replace(".", "/") + ".py")
        if path.exists():
            hits = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                    if re.search(r"\bself\.wait\(", line)]
            assert not hits, f"{path.name}: bare self.wait() on line(s) {hits}; use self.beat()"


@pytest.fixture()
def no_latex(monkeypatch):
    """No LaTeX: none on the PATH, and Manim's one door to it (tex_to_svg_file) fails loudly,
    so a scene that uses MathTex/Tex/DecimalNumber/Integer/Variable/Matrix fails even on a
    machine that has LaTeX installed."""
    import manim.mobject.text.tex_mobject as tex_mobject

    for tool in ("latex", "dvisvgm", "xelatex"):
        found = shutil.which(tool)
        if found:
            monkeypatch.setenv("PATH", os.pathsep.join(
                p for p in os.environ["PATH"].split(os.pathsep) if os.path.dirname(found) != p))
    assert shutil.which("latex") is None

    def refuse(*args, **kwargs):
        raise AssertionError("this scene calls LaTeX (MathTex, Tex, DecimalNumber, Integer, Variable or Matrix)")

    monkeypatch.setattr(tex_mobject, "tex_to_svg_file", refuse)


def test_no_latex_fixture_catches_mathtex(no_latex):
    from manim import MathTex

    with pytest.raises(AssertionError, match="calls LaTeX"):
        MathTex("x")


# ----------------------------------------------------------------- scene data
def test_conv_example_data():
    from scenes.ch2_numeric import conv_example_data

    d = conv_example_data()
    assert d.x.shape == (5, 5) and d.w.shape == (3, 3) and d.out.shape == (3, 3)
    assert np.issubdtype(d.x.dtype, np.integer)
    np.testing.assert_array_equal(d.out, correlate2d(d.x, d.w, mode="valid"))
    assert len(d.steps) == 9
    for step in d.steps:
        i, j = step.out_pos
        assert step.products.sum() == step.output == d.out[i, j]
        np.testing.assert_array_equal(step.window, d.x[i:i + 3, j:j + 3])
    assert len(np.unique(d.out)) > 3  # a readable, non-trivial result


def test_output_size_data():
    from scenes.ch2_hyperparams import output_size_data

    d = output_size_data()
    nb, fl = d.notebook, d.floor_case
    assert (nb.n, nb.f, nb.p, nb.s, nb.size) == (28, 3, 1, 1, 28)
    assert (fl.n, fl.f, fl.p, fl.s, fl.size) == (8, 3, 0, 2, 3)
    assert fl.quotient == 2.5 and fl.floored == 2  # the floor matters
    assert fl.windows == (0, 2, 4) and fl.windows[-1] + fl.s + fl.f > fl.n
    # independent count: slide a window until it falls off
    for c in (nb, fl):
        count = len(range(0, c.n + 2 * c.p - c.f + 1, c.s))
        assert c.size == count


def test_pooling_data():
    from scenes.ch3_pipeline import pooling_data

    d = pooling_data()
    assert d.x.shape == (4, 4) and d.max_out.shape == d.avg_out.shape == (2, 2)
    np.testing.assert_array_equal(d.x[:2, :2], [[164, 0], [1, 0]])
    assert d.max_out[0, 0] == 164 and d.avg_out[0, 0] == 41.25
    for (r, c) in d.windows:
        block = d.x[r:r + 2, c:c + 2]
        assert d.max_out[r // 2, c // 2] == block.max()
        assert d.avg_out[r // 2, c // 2] == block.mean()
    assert d.params == 0


def test_every_scene_class_is_in_the_catalog():
    import importlib
    import inspect

    from cnnviz.drawings import CnnvizScene

    catalog = {s.name for s in registry.CATALOG}
    for module in sorted({s.module_name for s in registry.CATALOG}):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError:
            continue  # a chapter with no scene yet
        for name, obj in inspect.getmembers(mod, inspect.isclass):
            if issubclass(obj, CnnvizScene) and obj.__module__ == module:
                assert name in catalog, f"{module}.{name} is not in cnnviz.registry.CATALOG"
                assert registry.is_implemented(registry.get(name))
