"""Chapter 3 (branch ch3a): the core additions, the shared drawings they brought, and each scene's data
against an independent computation (explicit loops, SciPy). Each scene's layout with another example:
tests/test_scenes.py::test_layout_other_example (tests/layout_examples.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate2d

from cnnviz import core, theme
from cnnviz.layout import check_scene


# ----------------------------------------------------------------- core: conv_connections, dense
def _reference_conv(x, w, b, stride, padding):
    """Loops over output pixels and SciPy per channel: no core call."""
    x3 = x if x.ndim == 3 else x[:, :, None]
    w4 = w.reshape(w.shape[0], w.shape[1], x3.shape[2], -1)
    xp = np.pad(x3, ((padding, padding), (padding, padding), (0, 0)))
    outs = []
    for m in range(w4.shape[3]):
        full = sum(correlate2d(xp[:, :, c], w4[:, :, c, m], mode="valid") for c in range(x3.shape[2]))
        outs.append(full[::stride, ::stride] + b[m])
    return np.stack(outs, axis=-1)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", [
    ((3, 3), (2, 2), 1, 0),
    ((5, 4), (3, 2), 1, 1),
    ((6, 6, 2), (3, 3, 2), 2, 1),
    ((5, 5, 3), (2, 2, 3, 4), 1, 0),
    ((4, 4, 1), (3, 3, 1, 2), 2, 2),
])
def test_conv_connections_rebuild_the_convolution(x_shape, w_shape, stride, padding):
    rng = np.random.default_rng(7)
    x = rng.integers(-5, 6, x_shape)
    w = rng.integers(-3, 4, w_shape)
    M = w_shape[3] if len(w_shape) == 4 else 1
    b = rng.integers(-4, 5, M)
    ref = _reference_conv(x, w, b, stride, padding)
    edges = core.conv_connections(x.shape, w.shape, stride, padding)
    # the layer as a sparse matrix: out = A @ x + b
    A = np.zeros((ref.size, x.size), dtype=np.int64)
    for o, i, k in edges:
        A[o, i] += w.reshape(-1)[k]
    out = A @ x.reshape(-1) + np.tile(b, ref.size // M)
    np.testing.assert_array_equal(out, ref.reshape(-1))
    # no duplicate edge; every edge inside the arrays; sorted by output
    assert len(set(edges)) == len(edges)
    assert all(0 <= i < x.size and 0 <= k < w.size and 0 <= o < ref.size for o, i, k in edges)
    assert [e.out_index for e in edges] == sorted(e.out_index for e in edges)


def test_conv_connections_notebook_3x3_2x2():
    edges = core.conv_connections((3, 3), (2, 2))
    assert len(edges) == 16 and 3 * 3 * 4 == 36
    # z1 (top-left) sees x11, x12, x21, x22 with w1..w4; z2 sees x12, x13, x22, x23 (the notebook's II.2)
    z1 = [(e.in_index, e.weight_index) for e in edges if e.out_index == 0]
    z2 = [(e.in_index, e.weight_index) for e in edges if e.out_index == 1]
    assert z1 == [(0, 0), (1, 1), (3, 2), (4, 3)]
    assert z2 == [(1, 0), (2, 1), (4, 2), (5, 3)]
    # padding cells have no neuron: the corner output of a padded 3×3 has 1 edge only
    padded = core.conv_connections((3, 3), (2, 2), padding=1)
    assert sum(e.out_index == 0 for e in padded) == 1


def test_dense_matches_loops():
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=7), rng.normal(size=(7, 4)), rng.normal(size=4)
    ref = np.array([sum(x[i] * w[i, j] for i in range(7)) + b[j] for j in range(4)])
    np.testing.assert_allclose(core.dense(x, w, b), ref)
    batch = rng.normal(size=(3, 7))
    np.testing.assert_allclose(core.dense(batch, w, b)[2], core.dense(batch[2], w, b))
    np.testing.assert_allclose(core.dense(x, w), ref - b)


@pytest.mark.parametrize("call, pattern", [
    (lambda: core.dense(np.ones(5), np.ones((4, 3))), r"cannot apply a 4×3 dense layer to a 5 input: .*5 value"),
    (lambda: core.dense(np.ones(4), np.ones(4)), r"n_in×n_out"),
    (lambda: core.dense(np.ones((2, 2, 4)), np.ones((4, 3))), r"2×2×4 input.*3-D"),
    (lambda: core.dense(np.ones(4), np.ones((4, 3)), np.ones(2)), r"bias of shape 2 .*3 output"),
    (lambda: core.conv_connections((3, 3), (4, 4)), r"3×3 input with a 4×4 kernel"),
])
def test_ch3a_core_errors_name_the_shapes(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# ----------------------------------------------------------------- shared drawings
def test_weight_colours_and_kernel_grid():
    from cnnviz.drawings import KernelGrid, sub

    assert theme.kernel_color(0) == theme.KERNEL and len(set(theme.KERNEL_COLORS)) == len(theme.KERNEL_COLORS)
    roles = {theme.INPUT, theme.OUTPUT, theme.BIAS, theme.HIGHLIGHT, theme.POSITIVE, theme.NEGATIVE, *theme.CHANNELS}
    assert not roles & set(theme.KERNEL_COLORS[1:])
    assert sub("x11") == "x₁₁" and sub(4) == "₄"
    k = KernelGrid([[-1, 2], [1, -2]])
    assert [n.original_text for n in k.names] == ["w₁", "w₂", "w₃", "w₄"]
    assert [t.original_text for t in k.labels] == ["-1", "2", "1", "-2"]
    assert [c.get_stroke_color().to_hex().upper() for c in k.cells] == [c.upper() for c in theme.KERNEL_COLORS[:4]]
    # the name sits above the value inside its cell
    assert k.names[0].get_center()[1] > k.labels[0].get_center()[1]
    assert k.cells[0].get_top()[1] > k.names[0].get_top()[1] and k.labels[0].get_bottom()[1] > k.cells[0].get_bottom()[1]


def test_neuron_column_groups_and_labels():
    from cnnviz.drawings import NeuronLayer, connect

    col = NeuronLayer([3, 2, 1], spacing=0.5)
    assert len(col) == 6 and len(col.ellipses) == 2
    ys = [n.get_center()[1] for n in col.neurons]
    assert all(a > b for a, b in zip(ys, ys[1:]))
    # an ellipsis between groups, none inside a group
    e0 = col.ellipses[0].get_center()[1]
    assert ys[2] > e0 > ys[3] and ys[0] - ys[1] == pytest.approx(0.5)
    assert ys[2] - ys[3] == pytest.approx(0.5 * 2) and e0 == pytest.approx((ys[2] + ys[3]) / 2)  # gap=1: one slot
    names = col.labels_beside(["a", "b", "c", "d", "e", "f"])
    assert names[0].get_right()[0] < col.neurons[0].get_left()[0]
    vals = col.values_inside([1, 2.5, -3, 0, 0, 9])
    assert vals[1].original_text == "2.5"
    np.testing.assert_allclose(vals[2].get_center(), col.neurons[2].get_center(), atol=1e-6)
    other = NeuronLayer([2]).shift(3 * np.array([1, 0, 0]))
    assert len(connect(col, other)) == 12


def test_map_pixels_shading():
    from cnnviz.drawings import map_note, map_pixels

    m = np.array([[0.0, 1.0], [2.0, 4.0]])
    np.testing.assert_array_equal(map_pixels(m), [[0, 64], [128, 255]])
    np.testing.assert_array_equal(map_pixels(m, vrange=(0, 2)), [[0, 128], [255, 255]])
    s = map_pixels(np.array([[-2.0, 0.0, 2.0]]), signed=True)
    assert s.shape == (1, 3, 3) and s.dtype == np.uint8
    from manim import ManimColor
    hexes = ["#%02X%02X%02X" % tuple(px) for px in s[0]]
    assert hexes == [ManimColor(theme.NEGATIVE).to_hex().upper(), ManimColor(theme.PANEL).to_hex().upper(),
                     ManimColor(theme.POSITIVE).to_hex().upper()]
    assert map_note((0, 1.5)) == "black = 0 … white = 1.5"
    assert "2.5" in map_note((-2.5, 1), signed=True)
    with pytest.raises(ValueError, match="2-D"):
        map_pixels(np.zeros(3))


def test_probability_bars():
    from cnnviz.drawings import ProbabilityBars

    p = np.array([0.1, 0.6, 0.3])
    bars = ProbabilityBars(p, names=["cat", "dog", "bird"], bar_length=5.0)
    assert bars.best == 1
    widths = [b.width for b in bars.bars]
    np.testing.assert_allclose(widths, 5.0 * p, atol=1e-6)
    assert [v.original_text for v in bars.values] == ["0.1", "0.6", "0.3"]
    assert bars.bars[1].get_fill_color().to_hex().upper() == theme.HIGHLIGHT.upper()
    # all bars start at the same x, names end left of it
    lefts = [b.get_left()[0] for b in bars.bars]
    assert max(lefts) - min(lefts) < 1e-6 and all(n.get_right()[0] < lefts[0] for n in bars.names)
    with pytest.raises(ValueError, match="names"):
        ProbabilityBars(p, names=["a"])


# ----------------------------------------------------------------- ConvView_Final_Title_SharedBias
def test_shared_weights_data_is_the_notebooks_formulas():
    from scenes.ch3_layers import shared_weights_data

    d = shared_weights_data()
    x, w, b = d.x, d.w, d.b
    (x11, x12, x13), (x21, x22, x23), (x31, x32, x33) = x
    (w1, w2), (w3, w4) = w
    # the notebook's II.2, written out
    z1 = x11 * w1 + x12 * w2 + x21 * w3 + x22 * w4 + b
    z2 = x12 * w1 + x13 * w2 + x22 * w3 + x23 * w4 + b
    z3 = x21 * w1 + x22 * w2 + x31 * w3 + x32 * w4 + b
    z4 = x22 * w1 + x23 * w2 + x32 * w3 + x33 * w4 + b
    np.testing.assert_array_equal(d.z, [[z1, z2], [z3, z4]])
    assert [s.output for s in d.steps] == [z1, z2, z3, z4]
    assert (d.z < 0).any() and (d.z > 0).any()  # ActivationFunctionStep needs both signs
    assert len(d.edges) == 16 and d.dense_edges == 36 and (d.weights, d.biases) == (4, 1)


def _other_shared():
    from scenes.ch3_layers import shared_weights_data

    return shared_weights_data(x=np.arange(16).reshape(4, 4) % 5 - 1, w=((1, 0, -1), (2, 1, 0), (0, -1, 1)), b=-2)


def test_shared_weights_other_example():
    d = _other_shared()
    np.testing.assert_array_equal(d.z, correlate2d(d.x, d.w, mode="valid") - 2)
    assert len(d.edges) == 4 * 9 and d.dense_edges == 16 * 4 and d.weights == 9


# ----------------------------------------------------------------- SparseVsDense
def _count_independently(H, W, kh, kw):
    """Edges and parameters of both wirings, counted with loops over the neurons."""
    oh, ow = H - kh + 1, W - kw + 1
    dense_edges = sum(1 for _ in range(H * W) for _ in range(oh * ow))
    conv_edges = {}
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    conv_edges[(i * ow + j, (i + a) * W + (j + b))] = a * kw + b
    return dense_edges, oh * ow, conv_edges


@pytest.mark.parametrize("in_shape, k_shape", [((3, 3), (2, 2)), ((4, 4), (3, 3)), ((5, 4), (2, 3))])
def test_sparse_vs_dense_counts(in_shape, k_shape):
    from scenes.ch3_layers import sparse_vs_dense_data

    d = sparse_vs_dense_data(in_shape, k_shape)
    dense_edges, n_out, conv_edges = _count_independently(*in_shape, *k_shape)
    assert d.n_out == n_out and d.dense_weights == dense_edges and d.dense_biases == n_out
    assert d.dense_total == dense_edges + n_out
    assert {(e.out_index, e.in_index): e.weight_index for e in d.conv_edges} == conv_edges
    assert d.conv_weights == len(set(conv_edges.values())) and d.conv_biases == 1
    assert d.conv_total == d.conv_weights + 1
    if in_shape == (3, 3):  # the notebook's numbers
        assert (d.dense_weights, d.dense_total, len(d.conv_edges), d.conv_total) == (36, 40, 16, 5)


# ----------------------------------------------------------------- ActivationFunctionStep
def test_activation_data_is_max_0_z_of_the_shared_weights_z():
    from scenes.ch3_layers import activation_data, shared_weights_data

    d = activation_data()
    np.testing.assert_array_equal(d.z, shared_weights_data().z)  # the Z the previous scene computed
    assert (d.z < 0).any() and (d.z > 0).any()
    expected = [[z if z > 0 else 0 for z in row] for row in d.z.tolist()]
    assert d.a.tolist() == expected and d.a.shape == d.z.shape


def _other_activation():
    from scenes.ch3_layers import activation_data

    return activation_data(z=[[-1.5, 0.25, 3.0], [12.0, -0.5, 0.0], [-7.25, 2.0, -3.0]])


def test_activation_other_example():
    d = _other_activation()
    assert d.a.tolist() == [[0, 0.25, 3.0], [12.0, 0, 0], [0, 2.0, 0]]


# ----------------------------------------------------------------- DimensionExamplesSideBySide
def test_dimension_examples_are_the_notebooks():
    from scenes.ch3_layers import dimension_examples_data

    e1, e2 = dimension_examples_data().examples
    # counted by hand-written arithmetic, not by the core
    assert e1.kernel_shape == (3, 3, 1, 32) and e1.biases == 32
    assert e1.weights == 3 * 3 * 1 * 32 and e1.total == 3 * 3 * 1 * 32 + 32 == 320
    assert e1.out_shape == (28 - 3 + 1, 28 - 3 + 1, 32)
    assert e2.kernel_shape == (5, 5, 3, 64) and e2.biases == 64
    assert e2.total == 5 * 5 * 3 * 64 + 64 == 4864 and e2.out_shape == (28, 28, 64)


def _slide_count(n, f, p, s):
    return len(range(0, n + 2 * p - f + 1, s))


def _other_dimensions():
    from scenes.ch3_layers import dimension_examples_data

    return dimension_examples_data(first=(64, 64, 3, 16, 3), second=(15, 15, 16, 8, 5), stride=2, padding=1)


def test_dimension_examples_other_example():
    a, b = _other_dimensions().examples
    assert a.out_shape == (_slide_count(64, 3, 1, 2),) * 2 + (16,) and a.total == 3 * 3 * 3 * 16 + 16
    assert b.out_shape == (_slide_count(15, 5, 1, 2),) * 2 + (8,) and b.kernel_shape == (5, 5, 16, 8)


# ----------------------------------------------------------------- the tiny CNN (TinyCNN_ImageInput, NeuralNetworkAnimation)
# (their data tests against the stored weights: tests/test_ch3_learning.py)


def test_pipeline_focus_lights_one_stage():
    from cnnviz.drawings import Pipeline

    p = Pipeline(["Conv", "ReLU", "Dense"])
    assert [t.original_text for t in p.stages] == ["Conv", "ReLU", "Dense"] and len(p.arrows) == 2
    xs = [t.get_x() for t in p.stages]
    assert xs == sorted(xs)
    anim = p.focus(1)
    assert anim.mobject is p.stages  # one Transform of the stages: nothing new is added to a scene
    anim.begin()
    anim.finish()
    cols = [t.family_members_with_points()[0].get_fill_color().to_hex().upper() for t in p.stages]
    assert cols[1] == theme.HIGHLIGHT.upper() and cols[0] == cols[2] == theme.MUTED.upper()


def test_both_cnn_scenes_share_one_data_function():
    from scenes.ch3_pipeline import NeuralNetworkAnimation, TinyCNN_ImageInput, tiny_cnn_data

    assert TinyCNN_ImageInput.data is NeuralNetworkAnimation.data is tiny_cnn_data


def test_weight_colours_beyond_nine_stay_distinct():
    cols = [theme.kernel_color(k) for k in range(25)]
    assert len(set(cols)) == 25 and all(c.startswith("#") and len(c) == 7 for c in cols)


# ----------------------------------------------------------------- TinyMaxPoolingFixed
def _other_pooling():
    from scenes.ch3_pipeline import pooling_data

    x = (np.arange(36).reshape(6, 6) * 37) % 101
    return pooling_data(x=x, size=2)


def test_pooling_other_example_with_loops():
    d = _other_pooling()
    assert d.max_out.shape == (3, 3) and len(d.windows) == 9 and d.params == 0
    for i in range(3):
        for j in range(3):
            block = [d.x[2 * i + a, 2 * j + b] for a in range(2) for b in range(2)]
            assert d.max_out[i, j] == max(block) and d.avg_out[i, j] == pytest.approx(sum(block) / 4)
    s3 = __import__("scenes.ch3_pipeline", fromlist=["pooling_data"]).pooling_data(x=d.x, size=3, stride=3)
    assert s3.max_out.shape == (2, 2) and s3.max_out[1, 1] == d.x[3:6, 3:6].max()


# ----------------------------------------------------------------- shared speed-ups (label copies, clear_all)
def test_labels_and_formulas_drop_their_svg_paths_and_still_copy():
    from cnnviz.drawings import label
    from cnnviz.formula import Formula

    for mob in (label("x₁₁ = 2"), Formula(r"z_1 = \max(0, -6)")):
        glyphs = mob.family_members_with_points()
        assert glyphs and all(getattr(g, "path_obj", None) is None for g in glyphs)
        twin = mob.copy().shift(np.array([1.0, 0, 0]))
        np.testing.assert_allclose(twin.get_center() - mob.get_center(), [1, 0, 0], atol=1e-9)
        assert len(twin.family_members_with_points()) == len(glyphs)


def test_clear_all_keeps_the_summary():
    """The scene ends on its last picture (the summary): clear_all no longer fades it away."""
    from manim import FadeIn, tempconfig

    from cnnviz.drawings import CnnvizScene, PixelImage, label

    class _Scene(CnnvizScene):
        def construct(self):
            self.play(FadeIn(label("a")), FadeIn(PixelImage(np.zeros((2, 2), np.uint8), height=1)))
            self.beat("the summary", hold=0.5)
            self.clear_all()

    with tempconfig({"dry_run": True, "disable_caching": True, "verbosity": "ERROR", "progress_bar": "none"}):
        scene = _Scene(skip_animations=True)
        scene.render()
    assert [type(m).__name__ for m in scene.mobjects if m.family_members_with_points()] == ["Text", "PixelImage"]
    assert check_scene(_Scene) == []


# ----------------------------------------------------------------- chapter 3 section II: parameters, words, limits
def _params_error(scene_name, raw):
    from cnnviz import params, registry

    with pytest.raises(params.ParamError) as err:
        params.coerce(registry.get(scene_name).load(), raw)
    return " ".join(err.value.problems)


def _layout(scene_name, **kwargs):
    """Every layout problem of the scene drawn with ``kwargs`` (the limits' tests)."""
    import functools

    from cnnviz import registry

    cls = registry.get(scene_name).load()
    other = type(cls.__name__, (cls,), {"data": staticmethod(functools.partial(cls.data, **kwargs))})
    return check_scene(other, pacing=(5, 40))


def test_shared_weights_summary_counts_the_drawn_edges():
    """The last lines count what is drawn: the weighted edges (a loop over windows and kernel cells), the bias
    edges apart (one per output), against a dense layer's weights."""
    from scenes.ch3_layers import shared_weights_data, shared_weights_summary

    assert shared_weights_summary(shared_weights_data()) == (
        "16 weighted edges (+4 bias), not the 36 of a dense layer", "only 4 weights + 1 bias = 5 parameters")
    d = _other_shared()
    (H, W), (kh, kw) = d.x.shape, d.w.shape
    weighted = sum(1 for _i in range(H - kh + 1) for _j in range(W - kw + 1) for _a in range(kh) for _b in range(kw))
    n_out = (H - kh + 1) * (W - kw + 1)
    assert shared_weights_summary(d) == (f"{weighted} weighted edges (+{n_out} bias), not the {H * W * n_out} of a "
                                         "dense layer", f"only {kh * kw} weights + 1 bias = {kh * kw + 1} parameters")


def test_shared_weights_refuses_what_it_cannot_draw():
    from scenes.ch3_layers import shared_weights_data

    with pytest.raises(ValueError, match=r"w: a 1×1 kernel on a 4×4 input \(stride 1, padding 0\) gives 16 outputs: "
                                         "at most 8 output neurons fit this scene at a readable size"):
        shared_weights_data(x=np.ones((4, 4)), w=[[1]])
    with pytest.raises(ValueError, match=r"w: a 2×2 kernel on a 4×4 input \(stride 1, padding 0\) gives 9 outputs"):
        shared_weights_data(x=np.ones((4, 4)), w=np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"^w: a 3×3 kernel does not fit in the 2×2 input"):
        shared_weights_data(x=[[1, 2], [3, 4]], w=np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"^x: rows of numbers"):
        shared_weights_data(x=[1, 2, 3])
    assert "an input of at most 4×4 fits this scene at a readable size" in _params_error(
        "ConvView_Final_Title_SharedBias", {"x": [[1] * 5] * 5})
    assert "a kernel of at most 3×3 fits" in _params_error("ConvView_Final_Title_SharedBias", {"w": [[1] * 4] * 4})


def test_shared_weights_at_its_limits_is_readable():
    """The largest layer: a 4×4 input with a 3×3 kernel (4 outputs, the most), the widest numbers allowed."""
    x = (np.arange(16).reshape(4, 4) * 7 % 19) - 9
    w = ((-9, 9, -9), (-9, -9, 9), (-9, -9, -9))
    d = __import__("scenes.ch3_layers", fromlist=["x"]).shared_weights_data(x=x, w=w, b=-99)
    assert max(len(f"{v:,}") for v in d.z.ravel()) == 4  # e.g. -162: the widest outputs these limits allow
    assert not _layout("ConvView_Final_Title_SharedBias", x=x, w=w, b=-99)
    assert "x holds 10: every number must be from -9 to 9" in _params_error("ConvView_Final_Title_SharedBias",
                                                                            {"x": [[10, 1], [1, 1]]})


def test_sparse_vs_dense_words_and_refusals():
    from scenes.ch3_layers import sparse_dense_summary, sparse_vs_dense_data

    assert sparse_dense_summary(sparse_vs_dense_data()) == "40 parameters vs 5: sparse, shared connections (8× fewer)"
    dense, n_out, conv = _count_independently(5, 4, 2, 3)
    total_dense, total_conv = dense + n_out, len(set(conv.values())) + 1
    assert sparse_dense_summary(sparse_vs_dense_data((5, 4), (2, 3))) == (
        f"{total_dense} parameters vs {total_conv}: sparse, shared connections "
        f"({round(total_dense / total_conv, 1):g}× fewer)")
    with pytest.raises(ValueError, match=r"^kernel_shape: a 4×4 kernel does not fit in the 3×3 input"):
        sparse_vs_dense_data((3, 3), (4, 4))
    with pytest.raises(ValueError, match=r"^kernel_shape: a 1×1 kernel on a 6×6 input gives 36 outputs: at most 25 "
                                         "output neurons fit this scene at a readable size"):
        sparse_vs_dense_data((6, 6), (1, 1))
    with pytest.raises(ValueError, match=r"^in_shape: two sizes"):
        sparse_vs_dense_data((3,), (2, 2))
    assert "in_shape[1] is 7: it must be from 1 to 6" in _params_error("SparseVsDense", {"in_shape": [7, 5]})
    assert "at most 2 fit" in _params_error("SparseVsDense", {"kernel_shape": [2, 2, 2]})


def test_sparse_vs_dense_at_its_limits_is_readable():
    """The largest layer: 36 inputs, 25 outputs (a 6×6 input, a 2×2 kernel). The next ones last over 40 s, measured
    the same way: 7×7 with a 3×3 kernel (25 outputs, 41.8 s), 6×6 with 1×1 (36 outputs, 47.7 s)."""
    assert not _layout("SparseVsDense", in_shape=(6, 6), kernel_shape=(2, 2))


def test_leaky_relu_with_loops_and_its_words():
    from scenes.ch3_layers import activation_data, activation_words

    z = [[-1.5, 0.25, 3.0], [12.0, -0.5, 0.0], [-7.25, 2.0, -3.0]]
    d = activation_data(z=z, activation="leaky_relu", slope=0.2)
    expected = [[v if v > 0 else 0.2 * v for v in row] for row in z]
    np.testing.assert_allclose(d.a, expected)
    n_neg = sum(v < 0 for row in z for v in row)
    assert activation_words(d)["end"] == f"{n_neg} negative → ×0.2, {9 - n_neg} unchanged: A keeps the shape of Z, 3×3"
    assert activation_words(activation_data())["end"] == "2 negative → 0, 2 unchanged: A keeps the shape of Z, 2×2"
    assert activation_words(_other_activation())["end"].startswith("4 negative → 0, 5 unchanged")


def test_activation_refuses_what_it_cannot_draw():
    from scenes.ch3_layers import activation_data

    with pytest.raises(ValueError, match=r"^x: Z = X ⊛ W \+ b is 5×5: a Z of at most 4×4 fits"):
        activation_data(x=np.ones((6, 6)))
    with pytest.raises(ValueError, match=r"^z: Z must be a 2-D map"):
        activation_data(z=[1, 2, 3])
    with pytest.raises(ValueError, match=r"^activation: 'relu' or 'leaky_relu'"):
        activation_data(activation="tanh")
    assert "a map Z of at most 4×4 fits this scene" in _params_error("ActivationFunctionStep", {"z": [[1] * 5] * 5})
    assert "slope is 0.9: it must be from 0.01 to 0.5" in _params_error("ActivationFunctionStep", {"slope": 0.9})


def test_activation_at_its_limits_is_readable():
    """The largest Z, 4×4, with the widest numbers the parameters allow (-98.75), through a leaky ReLU, with the most
    entries explained one by one (4)."""
    assert not _layout("ActivationFunctionStep", z=_WIDEST_Z, activation="leaky_relu", slope=0.13, n_explained=4)
    assert "n_explained is 5: it must be from 0 to 4" in _params_error("ActivationFunctionStep", {"n_explained": 5})


_WIDEST_Z = [[-98.75, 12.5, -0.01, 99], [3, -45.25, 7.5, -1], [0, 88.88, -66.66, 5], [-9, 9, -99, 0.5]]


@pytest.mark.slow
def test_activation_past_its_limits_is_unreadable(monkeypatch):
    """Its limits are the fit: 5 entries explained one by one last over 40 s; a 5×5 Z leaves the graph no room for
    its numbered ticks (the drawing fails)."""
    import scenes.ch3_layers as m

    problems = _layout("ActivationFunctionStep", z=_WIDEST_Z, activation="leaky_relu", slope=0.13, n_explained=5)
    assert {p.kind for p in problems} == {"pacing"}
    monkeypatch.setattr(m, "MAX_ACTIVATION_SHAPE", (5, 5))
    z5 = [row + [-5.25] for row in _WIDEST_Z] + [[1.5, -2.5, 3.5, -4.5, 5.5]]
    try:
        assert _layout("ActivationFunctionStep", z=z5, activation="leaky_relu", slope=0.13)
    except StopIteration:
        pass  # no spacing of the ticks fits: the graph cannot be drawn


def test_dimension_examples_parameters_and_refusals():
    from scenes.ch3_layers import dimension_examples_data

    a, b = dimension_examples_data(first=(7, 5, 2, 4, 3), second=(9, 9, 3, 2, 1), stride=2, padding=1).examples
    assert a.out_shape == (_slide_count(7, 3, 1, 2), _slide_count(5, 3, 1, 2), 4) and a.total == 3 * 3 * 2 * 4 + 4
    assert b.out_shape == (_slide_count(9, 1, 1, 2),) * 2 + (2,) == (6, 6, 2) and b.kernel_shape == (1, 1, 3, 2)
    with pytest.raises(ValueError, match=r"^second: five whole numbers"):
        dimension_examples_data(second=(32, 32, 3, 64))
    assert dimension_examples_data(first=(28, 28, 1, 32, 28)).examples[0].out_shape == (1, 1, 32)  # as wide as it
    with pytest.raises(ValueError):
        dimension_examples_data(first=(4, 4, 1, 2, 5))  # the core refuses a kernel larger than its input
    assert "first[1] is 100: it must be from 1 to 99" in _params_error("DimensionExamplesSideBySide",
                                                                       {"first": [100, 28, 1, 32, 3]})
    assert "first[5] is 100: it must be from 1 to 99" in _params_error("DimensionExamplesSideBySide",
                                                                       {"first": [99, 99, 1, 32, 100]})
    assert "stride is 100: it must be from 1 to 99" in _params_error("DimensionExamplesSideBySide", {"stride": 100})
    assert "padding is 100: it must be from 0 to 99" in _params_error("DimensionExamplesSideBySide", {"padding": 100})


def test_dimension_examples_at_their_limits_are_readable():
    """Two-digit sizes everywhere, the kernel, the stride and the padding included (three-digit shapes such as
    128×128×128 do not fit two rows side by side)."""
    assert not _layout("DimensionExamplesSideBySide", first=(99, 99, 99, 99, 99), second=(1, 99, 3, 1, 1),
                       stride=99, padding=99)


# ----------------------------------------------------------------- ConvView_Final_Title_SharedBias: stride, padding
def _layer_by_loops(x, w, b, stride, padding):
    """The layer view counted with loops over the padded input and the windows (no core, no NumPy convolution):
    z, the edges from input neurons as {(output, input): weight}, the edges from padding zeros, the dense edges."""
    H, W = len(x), len(x[0])
    kh, kw = len(w), len(w[0])
    Hp, Wp = H + 2 * padding, W + 2 * padding
    padded = [[0] * Wp for _ in range(Hp)]
    real = [[False] * Wp for _ in range(Hp)]
    for r in range(H):
        for c in range(W):
            padded[r + padding][c + padding] = x[r][c]
            real[r + padding][c + padding] = True
    oh, ow = (Hp - kh) // stride + 1, (Wp - kw) // stride + 1
    z, edges, pad_edges = [], {}, 0
    for i in range(oh):
        row = []
        for j in range(ow):
            total = b
            for a in range(kh):
                for c in range(kw):
                    r, col = i * stride + a, j * stride + c
                    total += padded[r][col] * w[a][c]
                    if real[r][col]:
                        edges[(i * ow + j, (r - padding) * W + col - padding)] = a * kw + c
                    else:
                        pad_edges += 1
            row.append(total)
        z.append(row)
    return z, edges, pad_edges, H * W * oh * ow


NOTEBOOK_X, NOTEBOOK_W = ((2, 0, 1), (1, 3, 2), (0, 1, 4)), ((-1, 2), (1, -2))


@pytest.mark.parametrize("kwargs", [
    dict(),                                                            # the notebook's example
    dict(stride=2, padding=1),                                         # its input, stride 2, padding 1
    dict(x=((1, -2, 3, 4), (5, 6, -7, 8)), w=((1, 2, 3), (4, 5, 6), (7, 8, 9)), b=-3, stride=3, padding=1),
    dict(x=((5,),), w=((1, 2, 3), (4, 5, 6), (7, 8, 9)), stride=2, padding=2),
])
def test_shared_weights_stride_and_padding_against_loops(kwargs):
    """z, the edges drawn (each with its weight), the edges from padding zeros and the dense comparison, and the
    summary's words, all from loops over the padded input."""
    from scenes.ch3_layers import shared_weights_data, shared_weights_summary

    d = shared_weights_data(**kwargs)
    x, w = kwargs.get("x", NOTEBOOK_X), kwargs.get("w", NOTEBOOK_W)
    b, stride, padding = kwargs.get("b", 1), kwargs.get("stride", 1), kwargs.get("padding", 0)
    z, edges, pad_edges, dense = _layer_by_loops(x, w, b, stride, padding)
    np.testing.assert_array_equal(d.z, z)
    assert {(e.out_index, e.in_index): e.weight_index for e in d.edges} == edges
    assert {(e.out_index, e.in_index): e.weight_index for e in d.cell_edges if not e.pad} == edges
    assert d.pad_edges == pad_edges == sum(e.pad for e in d.cell_edges) and d.dense_edges == dense
    n_out = len(z) * len(z[0])
    assert len(d.cell_edges) == n_out * len(w) * len(w[0])  # every kernel cell of every window has its edge
    k = len(w) * len(w[0])
    expected = [f"{len(edges)} weighted edges (+{n_out} bias), not the {dense} of a dense layer"]
    if pad_edges:
        expected.append(f"and {pad_edges} edge{'s' if pad_edges != 1 else ''} from padding zeros, which add 0")
    expected.append(f"only {k} weights + 1 bias = {k + 1} parameters")
    assert shared_weights_summary(d) == tuple(expected)
    if kwargs == dict(stride=2, padding=1):  # the notebook's input, stride 2, padding 1, by hand
        assert z == [[-3, -1], [3, -5]] and (len(edges), pad_edges, dense) == (9, 7, 36)
    shown = ConvView_must_show(d)
    assert all(line in shown for line in expected)
    if padding:
        assert f"input X {len(x)}×{len(x[0])} + padding {padding}" in shown
    if stride != 1:
        assert f"output Z {len(z)}×{len(z[0])}, stride {stride}" in shown


def ConvView_must_show(d):
    from scenes.ch3_layers import ConvView_Final_Title_SharedBias

    return ConvView_Final_Title_SharedBias.must_show(None, d)


def test_shared_weights_window_moves_by_the_stride():
    from scenes.ch3_layers import _window_move_words, shared_weights_data

    d = shared_weights_data(stride=2, padding=1)
    assert [s.window_pos for s in d.steps] == [(0, 0), (0, 2), (2, 0), (2, 2)]
    assert [_window_move_words(d, k) for k in range(1, 4)] == [
        "its window moved 2 cells to the right", "its window moved 2 cells down, back to the left edge",
        "its window moved 2 cells to the right"]
    assert _window_move_words(shared_weights_data(), 1) == "its window moved 1 cell to the right"


def test_shared_weights_stride_and_padding_limits():
    """padding: less than the kernel's side (a wider ring: windows of zeros only), at most 2 (the largest kernel
    is 3×3); stride: at most 4 (the farthest a window moves in the largest padded input, 7 cells with a 3-cell
    kernel, or 6 with a 2-cell one); the input column: at most 18.5 places (named neighbours half a name apart)."""
    from cnnviz.drawings import label
    from scenes.ch3_layers import MAX_COLUMN_PLACES, NAME_GAP, column_places, column_spacing, shared_weights_data

    assert "padding is 3: it must be from 0 to 2" in _params_error("ConvView_Final_Title_SharedBias", {"padding": 3})
    assert "stride is 5: it must be from 1 to 4" in _params_error("ConvView_Final_Title_SharedBias", {"stride": 5})
    with pytest.raises(ValueError, match=r"^padding: a padding of 2 around a 2×2 kernel gives windows that see only "
                                         "zeros: at most 1"):
        shared_weights_data(padding=2)
    with pytest.raises(ValueError, match=r"^padding: a whole number of at least 0, got -1"):
        shared_weights_data(padding=-1)
    # the largest padded inputs: 1×3 with padding 2 (5×7) and a 3-cell kernel, 4×3 with padding 1 (6×5) and a
    # 2-cell kernel: window starts 0 … 4, so stride 4 still moves
    d = shared_weights_data(x=np.ones((1, 3)), w=np.ones((3, 3)), stride=4, padding=2)
    assert [s.window_pos for s in d.steps] == [(0, 0), (0, 4)]
    d = shared_weights_data(x=np.ones((4, 3)), w=np.ones((2, 2)), stride=4, padding=1)
    assert [s.window_pos for s in d.steps] == [(0, 0), (4, 0)]  # 6 rows: 0 → 4; 5 columns: 0 only
    # column places, counted by hand: 4×4 unpadded: 15 steps between named neighbours
    assert column_places(np.zeros((4, 4), bool)) == 15
    assert column_places(np.pad(np.zeros((3, 3), bool), 1, constant_values=True)) == 6 + 18 / 2
    assert column_places(np.pad(np.zeros((4, 3), bool), 1, constant_values=True)) == MAX_COLUMN_PLACES == 8 + 21 / 2
    assert column_places(np.pad(np.zeros((3, 4), bool), 1, constant_values=True)) == 9 + 20 / 2  # the next: 19
    # the limit is the gap: named neighbours at least NAME_GAP apart at 18.5 places, not at 19
    name = max(label(f"x{a}{b}", size=theme.SMALL_SIZE).height for a in "₁₂₃₄" for b in "₁₂₃₄")
    assert column_spacing(MAX_COLUMN_PLACES) - name >= NAME_GAP > column_spacing(19) - name
    with pytest.raises(ValueError, match=r"^padding: padding 1 makes the 3×4 input a column of 30 neurons \(18 padding "
                                         r"zeros\), 19 places tall: a column of at most 18.5 places .* fits this scene "
                                         "at a readable size"):
        shared_weights_data(x=np.ones((3, 4)), w=np.ones((3, 3)), stride=3, padding=1)


_WIDE_X = [[-9, 9, -9, 9], [9, -9, 9, -9], [-9, 9, -9, 9], [9, -9, 9, -9]]
_WIDE_W = ((9, -9, 9), (-9, 9, -9), (9, -9, 9))


def test_shared_weights_at_the_column_and_output_limits_is_readable():
    """The tallest input column allowed (a 4×3 input with padding 1: 18.5 places), and the most outputs (8, from a
    4×2 input with padding 1 and a 3×3 kernel: the widest numbers, the longest equations, 4 worked out, the most
    allowed): both pass the layout check, pacing included."""
    assert not _layout("ConvView_Final_Title_SharedBias", x=[row[:3] for row in _WIDE_X], w=_WIDE_W, b=-99, stride=3,
                       padding=1)
    assert not _layout("ConvView_Final_Title_SharedBias", x=[row[:2] for row in _WIDE_X], w=_WIDE_W, b=-99,
                       padding=1, n_explained=4)


@pytest.mark.heavy
@pytest.mark.slow
def test_shared_weights_past_its_limits_is_unreadable(monkeypatch):
    """The limits are the fit: let one more through and the layout check fails (a 4×4 input with padding 2: the
    input names overlap, where the column limit had stopped them touching already; 5 outputs worked out of the 8 of a 3×3 kernel: over 40 s). (9 outputs, measured the same
    way, put a result over an output's name: see MAX_SHARED_OUTPUTS.)"""
    import scenes.ch3_layers as m

    monkeypatch.setattr(m, "MAX_SHARED_OUTPUTS", 99)
    monkeypatch.setattr(m, "MAX_COLUMN_PLACES", 99.0)
    kinds = lambda problems: {p.kind for p in problems}  # noqa: E731
    assert "overlap" in kinds(_layout("ConvView_Final_Title_SharedBias", x=_WIDE_X, w=_WIDE_W, b=-99, stride=4,
                                      padding=2))
    from cnnviz import registry

    cls = registry.get("ConvView_Final_Title_SharedBias").load()
    import functools

    five = type(cls.__name__, (cls,), {"data": staticmethod(functools.partial(
        m.shared_weights_data, x=[row[:2] for row in _WIDE_X], w=_WIDE_W, b=-99, padding=1, n_explained=5))})
    assert "pacing" in kinds(check_scene(five, pacing=(5, 40)))
    assert "n_explained is 5: it must be from 0 to 4" in _params_error("ConvView_Final_Title_SharedBias",
                                                                       {"n_explained": 5})
