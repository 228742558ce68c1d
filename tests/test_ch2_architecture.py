"""Chapter 2, section I — the architecture family (scenes/ch2_architecture.py): every shape, window
and sentence of the data function against an independent computation (explicit loops over the
padded input, NumPy's own padding), the parameters' refusals, and the limits measured with the
layout check (the limit passes, the next size is refused with the "fits this scene" message)."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest


def _loop_geometry(h, w, kh, kw, s, p):
    """The window positions (top-left, padded coordinates) and the output's rows × columns, by walking
    the padded input: a window fits where it stays inside the padded grid."""
    x = np.pad(np.ones((h, w)), p)  # NumPy pads: an independent account of the padded size
    rows = [r for r in range(0, x.shape[0]) if r % s == 0 and r + kh <= x.shape[0]]
    cols = [c for c in range(0, x.shape[1]) if c % s == 0 and c + kw <= x.shape[1]]
    return [(r, c) for r in rows for c in cols], (len(rows), len(cols)), x.shape


def _loop_conv_shape(h, w, c, kh, kw, m, s, p):
    """The shape of a real strided, padded convolution with those sizes, by explicit loops."""
    rng = np.random.default_rng(1)
    x = np.pad(rng.integers(0, 9, (h, w, c)), ((p, p), (p, p), (0, 0)))
    bank = rng.integers(-2, 3, (kh, kw, c, m))
    maps = []
    for f in range(m):
        rows = []
        for i in range(0, x.shape[0] - kh + 1, s):
            rows.append([int((x[i:i + kh, j:j + kw, :] * bank[:, :, :, f]).sum())
                         for j in range(0, x.shape[1] - kw + 1, s)])
        maps.append(rows)
    return np.moveaxis(np.array(maps), 0, -1).shape


CASES = [  # (n, n_cols, f, f_cols, stride, padding, c, m)
    (5, None, 3, None, 1, 0, 1, 1),  # the notebook's
    (6, None, 2, None, 1, 0, 1, 2),
    (6, None, 3, None, 2, 1, 1, 2),
    (5, 4, 2, 3, 1, 0, 3, 1),  # rectangular input and kernel
    (7, 5, 3, 2, 2, 2, 3, 5),
    (8, None, 3, None, 3, 2, 4, 6),
    (4, None, 4, None, 1, 0, 2, 3),
]


@pytest.mark.parametrize("n, n_cols, f, f_cols, s, p, c, m", CASES)
def test_architecture_shapes_against_loops(n, n_cols, f, f_cols, s, p, c, m):
    from scenes.ch2_architecture import architecture_data

    d = architecture_data(n=n, n_cols=n_cols, f=f, f_cols=f_cols, stride=s, padding=p, c=c, m=m)
    w, fw = n_cols or n, f_cols or f
    windows, (oh, ow), padded = _loop_geometry(n, w, f, fw, s, p)
    assert d.in_shape == (n, w, c) and d.kernel_shape == (f, fw, c) and d.bank_shape == (f, fw, c, m)
    assert d.padded_shape == padded and (d.stride, d.padding) == (s, p)
    assert d.windows == tuple(windows)
    assert d.map_shape == (oh, ow)
    assert d.out_shape == (oh, ow, m) == _loop_conv_shape(n, w, c, f, fw, m, s, p)
    # the formula on screen gives the counted size: ⌊(N − F + 2P) / S⌋ + 1
    assert (n - f + 2 * p) // s + 1 == oh and (w - fw + 2 * p) // s + 1 == ow


def test_the_words_follow_the_numbers():
    """Labels, setting and size lines are the data's, for the notebook's example and for hers (5×4, 2×3)."""
    from scenes.ch2_architecture import Architecture_1_Grey_1Filter, architecture_data

    d = architecture_data()
    assert d.setting == "stride 1 · padding 0"
    assert d.size_lines == ("output side: ⌊(5 − 3 + 2×0) / 1⌋ + 1 = 3",)
    assert d.equation == "5×5×1 ⊛ 3×3×1 → 3×3×1"
    assert d.heading == "Grey input (1 channel), 1 filter → 1 map"

    d = architecture_data(n=5, n_cols=4, f=2, f_cols=3)
    shown = Architecture_1_Grey_1Filter().must_show(d)
    assert "input 5×4×1" in shown and "filter 2×3×1" in shown and "output 4×2×1" in shown
    assert d.size_lines == ("rows: ⌊(5 − 2 + 2×0) / 1⌋ + 1 = 4", "columns: ⌊(4 − 3 + 2×0) / 1⌋ + 1 = 2")
    assert d.equation == "5×4×1 ⊛ 2×3×1 → 4×2×1"

    d = architecture_data(n=6, stride=2, padding=1, m=2)
    assert d.setting == "stride 2 · padding 1: a ring of zeros"
    assert d.size_lines == ("output side: ⌊(6 − 3 + 2×1) / 2⌋ + 1 = 3",)  # 2.5 rounds down
    assert d.heading == "Grey input (1 channel), 2 filters → 2 maps"
    assert architecture_data(padding=2).setting == "stride 1 · padding 2: 2 rings of zeros"
    assert architecture_data(c=3).heading.startswith("RGB input (3 channels)")
    assert architecture_data(c=2).channel_names == ("channel 1", "channel 2")


@pytest.mark.parametrize("kw, beats", [(dict(), 3), (dict(m=2), 4), (dict(c=3), 6), (dict(c=3, m=5), 10),
                                       (dict(c=2, m=3, n=6, f=2), 8)])
def test_notes_one_per_beat_and_computed(kw, beats):
    """One note per beat (opening; a beat per filter, filter 1 in four when taken apart; summary), each
    stating the example's own numbers."""
    from scenes.ch2_architecture import architecture_data

    d = architecture_data(**kw)
    assert len(d.notes) == beats and all(d.notes)
    H, W, C = d.in_shape
    assert f"{H}×{W}" in d.notes[0] and f"{d.bank_shape[3]} filter" in d.notes[0]
    assert core_shape(d.out_shape) in d.notes[-1]
    positions = f"{len(d.windows)} positions"
    assert sum(positions in note for note in d.notes) == d.bank_shape[3]  # every filter is swept


def core_shape(shape):
    return "×".join(map(str, shape))


def test_notes_for_another_example():
    from scenes.ch2_architecture import architecture_data

    d = architecture_data(n=6, stride=2, padding=1, c=3)
    assert "padded with 1 ring of zeros to 8×8" in d.notes[0]
    assert "2 pixels per step: 9 positions" in d.notes[2] and "3 partial maps of 3×3" in d.notes[2]
    assert "ONE 3×3 map" in d.notes[3]
    assert d.notes[-1].endswith("⌊(N − F + 2P) / S⌋ + 1 = 3.")


@pytest.mark.parametrize("kw, word", [
    (dict(padding=-1), "padding"), (dict(stride=0), "stride"), (dict(stride=13), "stride"), (dict(padding=6), "padding"),
    (dict(n=0), "n"), (dict(n=True), "n"), (dict(f=6), "f:"), (dict(f_cols=7), "f_cols:"),
    (dict(c=6), "c"), (dict(m=7), "m"), (dict(n=2.5), "n"),
])
def test_bad_values_are_refused_naming_the_argument(kw, word):
    from scenes.ch2_architecture import architecture_data

    with pytest.raises(ValueError) as exc:
        architecture_data(**kw)
    assert str(exc.value).startswith(word), str(exc.value)
    assert "\n" not in str(exc.value)


def test_parameters_are_declared():
    from cnnviz import params
    from scenes.ch2_architecture import (Architecture_1_Grey_1Filter, Architecture_3_RGB_1Filter,
                                         FullCNNSequence)

    names = ["n", "f", "stride", "padding", "n_cols", "f_cols"]
    assert list(params.scene_params(Architecture_1_Grey_1Filter)) == names
    assert list(params.scene_params(Architecture_3_RGB_1Filter)) == names
    full = params.scene_params(FullCNNSequence)
    assert list(full) == ["n", "f", "c", "m", *names[2:]]
    assert (full["c"].default, full["m"].default) == (3, 5)
    assert FullCNNSequence.data().out_shape == (3, 3, 5)
    with pytest.raises(params.ParamError, match="unknown parameter"):
        params.coerce(Architecture_1_Grey_1Filter, {"size": 7})
    with pytest.raises(params.ParamError, match="padding"):
        params.coerce(Architecture_1_Grey_1Filter, {"padding": -1})


def test_own_scene_recipes_draw_her_sizes():
    """The README's recipes: a subclass binding the data function's keywords, and the engine's --set."""
    from cnnviz import params
    from scenes.ch2_architecture import Architecture_1_Grey_1Filter, architecture_data

    class MyArchitecture(Architecture_1_Grey_1Filter):
        data = staticmethod(functools.partial(architecture_data, n=7, f=5, c=1, m=1))

    assert MyArchitecture.data().in_shape == (7, 7, 1) and MyArchitecture.data().out_shape == (3, 3, 1)
    Architecture_1_Grey_1Filter.data = staticmethod(lambda: architecture_data(n=7, f=5))  # the old recipe
    try:
        assert Architecture_1_Grey_1Filter.data().equation == "7×7×1 ⊛ 5×5×1 → 3×3×1"
    finally:
        Architecture_1_Grey_1Filter.data = staticmethod(functools.partial(architecture_data, c=1, m=1))
    cls = params.parametrised(Architecture_1_Grey_1Filter, params.coerce(Architecture_1_Grey_1Filter,
                                                                        {"n": 7, "f": 5, "stride": 2}))
    assert cls.data().out_shape == (2, 2, 1)


def test_limit_message_names_the_readable_size():
    from scenes.ch2_architecture import MAX_PADDED, architecture_data

    assert architecture_data(n=MAX_PADDED).padded_shape == (MAX_PADDED, MAX_PADDED)
    assert architecture_data(n=MAX_PADDED - 4, padding=2).padded_shape == (MAX_PADDED, MAX_PADDED)
    with pytest.raises(ValueError, match=rf"at most {MAX_PADDED - 4}×{MAX_PADDED - 4} \(with padding 2\) fits "
                                         "this scene at a readable size"):
        architecture_data(n=MAX_PADDED - 3, padding=2)
    with pytest.raises(ValueError, match=rf"at most {MAX_PADDED - 2}×{MAX_PADDED - 2} \(with padding 1\)"):
        architecture_data(n=4, n_cols=MAX_PADDED - 1, padding=1)


def test_each_scene_refuses_past_its_own_limit():
    """Architecture_3's three channel sheets and FullCNNSequence's smaller text give them their own limits; the
    message names the scene's readable size, the parameter listing its maximum."""
    from cnnviz import params
    from scenes.ch2_architecture import (MAX_PADDED_FULL, MAX_PADDED_RGB, Architecture_3_RGB_1Filter,
                                         FullCNNSequence, full_cnn_data, rgb_architecture_data)

    assert rgb_architecture_data(n=MAX_PADDED_RGB).in_shape == (MAX_PADDED_RGB, MAX_PADDED_RGB, 3)
    with pytest.raises(ValueError, match=rf"at most {MAX_PADDED_RGB}×{MAX_PADDED_RGB} \(with padding 0\) fits this "
                                         "scene at a readable size"):
        rgb_architecture_data(n=MAX_PADDED_RGB + 1)
    assert full_cnn_data(n=MAX_PADDED_FULL, c=4, m=6).padded_shape == (MAX_PADDED_FULL, MAX_PADDED_FULL)
    with pytest.raises(ValueError, match=rf"at most {MAX_PADDED_FULL - 2}×{MAX_PADDED_FULL - 2} \(with padding 1\) "
                                         "fits this scene at a readable size"):
        full_cnn_data(n=MAX_PADDED_FULL - 1, padding=1)
    assert params.scene_params(Architecture_3_RGB_1Filter)["n"].max == MAX_PADDED_RGB
    assert params.scene_params(FullCNNSequence)["n"].max == MAX_PADDED_FULL
    for cls, limit in ((Architecture_3_RGB_1Filter, MAX_PADDED_RGB), (FullCNNSequence, MAX_PADDED_FULL)):
        with pytest.raises(params.ParamError, match="n"):
            params.coerce(cls, {"n": limit + 1})


def _unit(scene_cls, **kw) -> float:
    """The side of one drawn cell of the input (scene units), read from the scene's first TensorStack."""
    import scenes.ch2_architecture as ch2

    class Stop(Exception):
        pass

    def probe(self, *args, unit=None, **kwargs):
        raise Stop(unit)

    cls = type("Probe", (scene_cls,), {"data": staticmethod(functools.partial(ch2.architecture_data, **kw))})
    original = ch2.TensorStack.__init__
    ch2.TensorStack.__init__ = probe
    try:
        cls().construct()
    except Stop as stop:
        return stop.args[0]
    finally:
        ch2.TensorStack.__init__ = original
    raise AssertionError("the scene drew no TensorStack")


@pytest.mark.parametrize("name, limit_name, cm", [
    ("Architecture_1_Grey_1Filter", "MAX_PADDED", dict(c=1, m=1)),
    ("Architecture_2_Grey_2Filters", "MAX_PADDED", dict(c=1, m=2)),
    ("Architecture_3_RGB_1Filter", "MAX_PADDED_RGB", dict(c=3, m=1)),
    ("FullCNNSequence", "MAX_PADDED_FULL", dict(c=5, m=6)),  # its most channels and filters
])
def test_side_limit_is_where_cells_stop_being_as_tall_as_a_digit(name, limit_name, cm):
    """The layout check passes far beyond the limits (a diagram has no text in its cells); the limit is where the
    cells stay countable: at least as tall as a digit of the scene's smallest text. Measured at the tallest case
    (a tall, narrow input: two size lines under the row), for the square case too; one more cell is too small."""
    import scenes.ch2_architecture as ch2
    from cnnviz import registry
    from cnnviz.drawings import label

    limit = getattr(ch2, limit_name)
    digit = label("0", size=registry.min_font(registry.get(name))).height
    cls = getattr(ch2, name)
    for shape in (dict(n_cols=2, f=1), dict(f=3)):
        assert _unit(cls, n=limit, max_padded=100, **cm, **shape) >= digit
    assert _unit(cls, n=limit + 1, max_padded=100, **cm, n_cols=2, f=1) < digit


def test_channel_and_filter_limits_keep_the_largest_input_countable(monkeypatch):
    """FullCNNSequence at its largest input: MAX_CHANNELS channels and MAX_FILTERS filters keep every cell as tall
    as a digit (20); one more of either does not."""
    import scenes.ch2_architecture as ch2
    from cnnviz import registry
    from cnnviz.drawings import label

    n, c, m = ch2.MAX_PADDED_FULL, ch2.MAX_CHANNELS, ch2.MAX_FILTERS
    monkeypatch.setattr(ch2, "MAX_CHANNELS", 20)  # let the data function draw one more
    monkeypatch.setattr(ch2, "MAX_FILTERS", 20)
    digit = label("0", size=registry.min_font(registry.get("FullCNNSequence"))).height
    for shape in (dict(n_cols=2, f=1), dict(f=3)):
        assert _unit(ch2.FullCNNSequence, n=n, c=c, m=m, max_padded=n, **shape) >= digit
    assert _unit(ch2.FullCNNSequence, n=n, c=c + 1, m=m, max_padded=n, f=3) < digit
    assert _unit(ch2.FullCNNSequence, n=n, c=c, m=m + 1, max_padded=n, n_cols=2, f=1) < digit


@pytest.mark.parametrize("name, kw", [
    ("Architecture_1_Grey_1Filter", dict(n=12, n_cols=3, f=2, stride=1)),  # the tallest input, and a narrow one
    ("Architecture_1_Grey_1Filter", dict(n=2, f=1, padding=5)),            # the most padding: 5 rings (12 a side)
    ("Architecture_1_Grey_1Filter", dict(n=12, f=1, stride=12)),           # the longest stride: one step
    ("Architecture_3_RGB_1Filter", dict(n=7, f=3, stride=3, padding=2)),   # the largest padded input, 3 channels
    pytest.param("FullCNNSequence", dict(n=16, f=3, c=5, m=6),               # every limit at once: 1½ minutes
                 marks=pytest.mark.slow),
])
def test_architecture_limits_pass_the_layout_check(name, kw):
    """At the limits (MAX_PADDED cells a side, padding included) every layout rule holds."""
    import scenes.ch2_architecture as ch2
    from cnnviz.layout import check_scene
    from layout_examples import with_example

    problems = check_scene(with_example(getattr(ch2, name), **kw), pacing=(5, 40))
    assert not problems, "\n".join(map(str, problems))
