"""Chapter 1, section II (scenes/ch1_mlp.py): each data function against an independent computation, with the
notebook's example and another one; the parameters' limits. The layouts (both examples):
tests/test_scenes.py; the layouts at the limits: the ``slow`` tests below."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from PIL import Image

from cnnviz import images, params, trained


def block_means(name: str, box, factor: int) -> np.ndarray:
    """The photo file read straight with Pillow, cropped, each factor×factor block averaged by loops."""
    a = np.asarray(Image.open(images.ASSETS / f"{name}.png").convert("L"), dtype=np.float64)
    left, top, right, bottom = box
    a = a[top:bottom, left:right]
    h, w = a.shape[0] // factor, a.shape[1] // factor
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            out[i, j] = sum(a[i * factor + u, j * factor + v] for u in range(factor) for v in range(factor)) / factor**2
    return out


def refused(scene_cls, raw: dict) -> str:
    with pytest.raises(params.ParamError) as err:
        params.coerce(scene_cls, raw)
    return str(err.value)


# ============================================================ MLP_Style_NoText_Fixed
def reference_mlp(img: np.ndarray) -> list[np.ndarray]:
    """The trained MLP's forward pass written out from the stored file: ReLU, ReLU, softmax."""
    with np.load(trained.PATH, allow_pickle=False) as f:
        layers = [(f[f"mlp.W{k}"].astype(np.float64), f[f"mlp.b{k}"].astype(np.float64)) for k in (1, 2, 3)]
    a = np.array([img[r, c] for r in range(28) for c in range(28)], dtype=np.float64) / 255.0
    acts = [a]
    for k, (w, b) in enumerate(layers):
        z = np.array([sum(a[i] * w[i, j] for i in range(w.shape[0])) + b[j] for j in range(w.shape[1])])
        if k < 2:
            a = np.where(z > 0, z, 0.0)
        else:
            e = np.exp(z - z.max())
            a = e / e.sum()
        acts.append(a)
    return acts


@pytest.mark.parametrize("digit", range(10))
def test_mlp_flow_predicts_every_digit_with_the_trained_weights(digit):
    from scenes.ch1_mlp import mlp_flow_data, percent

    d = mlp_flow_data(digit=digit)
    np.testing.assert_array_equal(d.digit, images.digit(digit))
    ref = reference_mlp(d.digit)
    assert d.sizes == (784, 100, 100, 10)
    for got, want in zip(d.activations, ref):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(d.probabilities, ref[-1], rtol=1e-9, atol=1e-12)
    best = max(range(10), key=lambda k: ref[-1][k])
    assert best == digit == d.predicted  # the trained net reads all ten digits right
    assert d.confidence == percent(ref[-1][best])
    assert d.verdict == f"The trained MLP reads a {digit}: probability {d.confidence}"


def test_mlp_flow_inputs_drawn_and_the_wrong_verdict_sentence():
    from scenes.ch1_mlp import MLPFlowData, mlp_flow_data, percent

    d = mlp_flow_data()
    assert d.vector.tolist() == [int(d.digit[r, c]) for r in range(28) for c in range(28)]
    assert d.landing[5, 7] == 5 * 28 + 7
    shown = np.array(d.input_shown)  # 5 inked pixels and 5 background pixels, in vector order
    assert len(shown) == 10 and (np.diff(shown) > 0).all()
    assert (d.vector[shown] > 0).sum() == 5 and (d.vector[shown] == 0).sum() == 5
    d6 = mlp_flow_data(digit=6, n_shown=6)
    assert len(d6.input_shown) == 6 and (d6.vector[list(d6.input_shown)] > 0).sum() == 3
    # the percentages: never "100 %" for a probability below 1
    assert percent(0.9999999) == "> 99.9 %" and percent(0.8734) == "87.3 %" and percent(1e-6) == "< 0.1 %"
    assert percent(0.5) == "50.0 %" and percent(0.0) == "0.0 %"
    assert isinstance(d, MLPFlowData)


def test_mlp_flow_parameters_and_their_limits():
    from scenes.ch1_mlp import MLP_Style_NoText_Fixed, mlp_flow_data

    spec = params.scene_params(MLP_Style_NoText_Fixed)
    assert spec["digit"].default == 5 and (spec["digit"].min, spec["digit"].max) == (0, 9)
    assert params.coerce(MLP_Style_NoText_Fixed, {"digit": 9, "n_shown": 10}) == {"digit": 9, "n_shown": 10}
    assert "digit is 10: it must be from 0 to 9" in refused(MLP_Style_NoText_Fixed, {"digit": 10})
    assert "n_shown is 11: it must be from 2 to 10" in refused(MLP_Style_NoText_Fixed, {"n_shown": 11})
    for bad in (10, -1, True, 2.5):
        with pytest.raises(ValueError, match="digit"):
            mlp_flow_data(digit=bad)
    with pytest.raises(ValueError, match="n_shown"):
        mlp_flow_data(n_shown=1)


# ============================================================ FlatteningSimple
def test_flattening_lands_each_pixel_at_row_times_width_plus_col():
    from scenes.ch1_mlp import flattening_data

    d = flattening_data()
    assert d.pixels.shape == (4, 4)
    assert np.abs(d.pixels - block_means("camera", d.box, d.factor)).max() <= 0.5 + 1e-9
    order, place = [], {}
    for r in range(4):  # reading the grid row by row with explicit loops
        for c in range(4):
            place[(r, c)] = len(order)
            order.append(int(d.pixels[r, c]))
    assert d.vector.tolist() == order
    for (r, c), k in place.items():
        assert d.landing[r, c] == k and d.vector[k] == d.pixels[r, c]
    col_means = [sum(int(d.pixels[r, c]) for r in range(4)) for c in range(4)]
    assert d.stripe == col_means.index(min(col_means)) == 2  # the tripod's pole: the darkest column
    assert max(d.pixels[:, 2]) < 100 < min(np.delete(d.pixels, 2, axis=1).ravel())
    assert d.vertical == ((0, 2), (1, 2)) and d.v_distance == 4
    assert d.horizontal == ((0, 2), (0, 3)) and d.h_distance == 1
    assert d.big_shape == (28, 28) and d.big_distance == 28


def test_flattening_other_example_at_the_limit():
    """Her photo and a 5×4 grid (20 values: the most the vector shows readably)."""
    from scenes.ch1_mlp import FlatteningSimple, flattening_data

    d = flattening_data(photo="astronaut", box=(240, 60, 256, 80), factor=4, big_shape=(32, 32))
    assert d.pixels.shape == (5, 4) and d.vector.size == 20
    assert np.abs(d.pixels - block_means("astronaut", d.box, 4)).max() <= 0.5 + 1e-9
    assert d.vector.tolist() == [int(d.pixels[r, c]) for r in range(5) for c in range(4)]
    col_means = [d.pixels[:, c].astype(float).mean() for c in range(4)]
    assert d.stripe == int(np.argmin(col_means)) and d.v_distance == 4 and d.h_distance == 1
    assert d.big_distance == 32
    shown = FlatteningSimple().must_show(d)
    assert [f"{v:,}" for v in d.vector] == shown[:20] and "5×4 image" in shown and "vector of 20" in shown


def test_flattening_limits():
    from scenes.ch1_mlp import FlatteningSimple, flattening_data

    flattening_data(box=(280, 400, 300, 416))  # 4×5: 20 pixels, fits
    with pytest.raises(ValueError, match=r"box: the crop gives a 5×5 grid: a grid of at most 20 pixels .* fits this "
                                         r"scene at a readable size"):
        flattening_data(box=(280, 400, 300, 420))
    with pytest.raises(ValueError, match="at most 20 pixels"):
        flattening_data(box=(280, 400, 304, 412))  # 3×6: 18 pixels but 6 columns
    with pytest.raises(ValueError, match="at least 2×2"):
        flattening_data(box=(280, 400, 284, 416))
    with pytest.raises(ValueError, match="four numbers"):
        flattening_data(box=(280, 400, 296))
    assert "big_shape has 3 items" in refused(FlatteningSimple, {"big_shape": [28, 28, 3]})
    assert "factor is 0" in refused(FlatteningSimple, {"factor": 0})
    assert "name" not in params.scene_params(FlatteningSimple)  # a reserved word: the photo is `photo`


# ============================================================ MLPParameterCount
def count_params(sizes) -> int:
    """One weight per pair of connected neurons, one bias per receiving neuron: counted neuron by neuron."""
    count = 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        for _ in range(n_out):
            count += n_in + 1
    return count


def test_mlp_param_data_matches_the_notebooks_sum_and_reaches_billions():
    from scenes.ch1_mlp import in_words, mlp_param_data

    d = mlp_param_data()
    assert d.terms == ((784 * 100, 100), (100 * 100, 100), (100 * 10, 10))
    assert d.layer_totals == (78_500, 10_100, 1_010)
    assert d.total == 78_400 + 100 + 10_000 + 100 + 1_000 + 10 == 89_610 == count_params(d.sizes)
    # the photo of the notebook's sentence, with 1,000 hidden units: billions indeed
    assert d.big_inputs == 1000 * 1000 * 3 and d.big_sizes == (3_000_000, 1000, 1000, 10)
    assert d.big_terms == ((3_000_000_000, 1000), (1_000_000, 1000), (10_000, 10))
    assert d.big_total == count_params(d.big_sizes) == 3_001_012_010 > 10**9
    assert d.scale_words == "3 billion" and round(d.ratio) == round(3_001_012_010 / 89_610)
    assert in_words(300_000_100) == "300 million" and in_words(12_345_678) == "12.3 million"
    assert in_words(999_999) == "" and in_words(4 * 10**13) == "40 trillion"


def test_mlp_param_data_other_example_and_what_it_must_show():
    from scenes.ch1_mlp import MLPParameterCount, mlp_param_data

    d = mlp_param_data(sizes=(3072, 512, 256, 128, 10), image_shape=(224, 224, 3), hidden=4096)
    assert d.total == count_params((3072, 512, 256, 128, 10))
    assert d.big_sizes == (150_528, 4096, 4096, 4096, 10) and d.big_total == count_params(d.big_sizes)
    shown = MLPParameterCount().must_show(d)
    for text in ("3,072", "150,528", "4,096", f"{d.big_total:,} parameters", "224×224×3", f"{d.total:,} parameters"):
        assert text in shown


def test_mlp_param_limits():
    from scenes.ch1_mlp import MLPParameterCount, mlp_param_data

    assert "sizes has 6 items" in refused(MLPParameterCount, {"sizes": [784, 100, 100, 100, 100, 10]})
    assert "sizes[2] is 100001" in refused(MLPParameterCount, {"sizes": [784, 100_001, 10]})
    assert "hidden is 100001" in refused(MLPParameterCount, {"hidden": 100_001})
    assert "image_shape[1] is 10001" in refused(MLPParameterCount, {"image_shape": [10_001, 10, 3]})
    with pytest.raises(ValueError, match="image_shape: a photo has 1 to 4 channels"):
        mlp_param_data(image_shape=(100, 100, 5))
    with pytest.raises(ValueError, match="sizes: an MLP of 2 to 5 layers"):
        mlp_param_data(sizes=(784,))


# ============================================================ DigitShiftBig
def test_digit_shift_counts_against_sets():
    from scenes.ch1_mlp import digit_shift_data

    for kw, digit, dxs, thr in ((dict(), 5, (-3, 3), 128), (dict(digit=3, shift=4, threshold=100), 3, (-4, 4), 100)):
        d = digit_shift_data(**kw)
        assert d.shifts == dxs and d.threshold == thr
        base = images.digit(digit)
        np.testing.assert_array_equal(d.images[0], base)
        for img, dx in zip(d.images[1:], dxs):
            for r in range(28):  # moved dx columns, zeros shifted in
                for c in range(28):
                    src = c - dx
                    assert img[r, c] == (base[r, src] if 0 <= src < 28 else 0)
        lit = [{r * 28 + c for r in range(28) for c in range(28) if img[r, c] >= thr} for img in d.images]
        for k in range(3):
            assert d.lit[k].tolist() == sorted(lit[k])
        for k, (count, frac) in enumerate(d.overlaps, start=1):
            assert count == len(lit[0] & lit[k]) and frac == pytest.approx(count / len(lit[0]))
            assert d.newly_lit[k - 1].tolist() == sorted(lit[k] - lit[0])
            assert d.gone_dark[k - 1].tolist() == sorted(lit[0] - lit[k])
            assert 0 < frac < 0.8  # a small shift changes most lit inputs
    d = digit_shift_data()
    assert len(d.lit[0]) == 124 and [c for c, _ in d.overlaps] == [58, 58]


def test_digit_shift_limits():
    from scenes.ch1_mlp import DigitShiftBig, digit_shift_data

    base = images.digit(5)
    cols = [c for c in range(28) if any(base[r, c] > 0 for r in range(28))]
    margin = min(cols[0], 27 - cols[-1])  # blank columns on the narrower side
    assert digit_shift_data(shift=margin).max_shift == margin
    with pytest.raises(ValueError, match=f"shift: moving the 5 by {margin + 1} pixels pushes its ink out of the "
                                         f"image: a shift of at most {margin} keeps the whole 5"):
        digit_shift_data(shift=margin + 1)
    assert "digit is 10: it must be from 0 to 9" in refused(DigitShiftBig, {"digit": 10})
    assert "shift is 0" in refused(DigitShiftBig, {"shift": 0})
    assert "shift is 11: it must be from 1 to 10" in refused(DigitShiftBig, {"shift": 11})  # no digit has more margin
    assert max(digit_shift_data(digit=k, shift=1).max_shift for k in range(10)) == 10
    with pytest.raises(ValueError, match="threshold"):
        digit_shift_data(threshold=0)


# ============================================================ the layouts at the limits (slow: layout checks)
@pytest.mark.slow
@pytest.mark.parametrize("scene, values", [
    ("MLPParameterCount", dict(sizes=(100_000,) * 5, image_shape=(10_000, 10_000, 4), hidden=100_000)),
    ("MLPParameterCount", dict(sizes=(1, 1), image_shape=(1, 1, 1), hidden=1)),
    ("FlatteningSimple", dict(box=(280, 400, 300, 416))),
    ("DigitShiftBig", dict(digit=5, shift=6)),
])
def test_layout_at_the_limits(scene, values):
    import scenes.ch1_mlp as mod
    from cnnviz.layout import check_scene

    cls = getattr(mod, scene)
    custom = type(scene, (cls,), {"data": staticmethod(functools.partial(cls.data, **values))})
    assert check_scene(custom, pacing=(5, 40)) == []
