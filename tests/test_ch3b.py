"""Chapter 3, training scenes (branch ch3b): Dropout, BackpropWeightSharing, BatchNormStep,
MiniBatchTraining, TrainVsEval — their data against independent computations, the core
functions they added and their shared drawings. Each scene's layout with another example:
tests/test_scenes.py::test_layout_other_example (tests/layout_examples.py)."""

from __future__ import annotations

import numpy as np
import pytest


# ----------------------------------------------------------------- shared drawings
def test_value_vector_row_and_column():
    from cnnviz.drawings import value_vector

    row = value_vector([10, 20, 30])
    col = value_vector([10, 20, 30], vertical=True)
    assert (row.rows, row.cols) == (1, 3) and (col.rows, col.cols) == (3, 1)
    assert row.label_at(0, 2).original_text == "30" and col.label_at(2, 0).original_text == "30"
    assert col.cell(0, 0).get_y() > col.cell(2, 0).get_y()
    with pytest.raises(ValueError, match="1-D"):
        value_vector(np.zeros((2, 2)))


def test_neuron_network_masks_neurons_and_edges():
    from cnnviz import theme
    from cnnviz.drawings import MLPDiagram

    net = MLPDiagram((3, 4, 2), width=6, height=3, fill_opacity=0.45)
    assert [len(layer) for layer in net.layers] == [3, 4, 2]
    assert [len(g) for g in net.edges] == [12, 8]
    assert net.layers[0].get_x() < net.layers[1].get_x() < net.layers[2].get_x()
    net.set_mask(1, [1, 0, 1, 0])
    off = net.layers[1].neurons[1]
    assert off.get_fill_color().to_hex().upper() == theme.DROPPED.upper()
    # every edge touching neuron 1 or 3 of the hidden layer is dimmed, the others are live
    for g in (0, 1):
        for e, (i, j) in zip(net.edges[g], net.pairs[g]):
            hidden = j if g == 0 else i
            assert (e.get_stroke_opacity() < 0.1) == (hidden in (1, 3))
    assert len(net.live_edges(0)) == 3 * 2 and len(net.live_edges(1)) == 2 * 2
    net.set_mask(1, np.ones(4))  # back on
    assert len(net.live_edges(0)) == 12
    assert net.layers[1].neurons[1].get_fill_color().to_hex().upper() == theme.TEXT.upper()
    with pytest.raises(ValueError, match="layer 1"):
        net.set_mask(1, [1, 0])
    # the cheap animations: one per neuron or edge that changes, ending in set_mask's picture
    anims = net.mask_animations({1: [1, 1, 0, 1]})
    assert len(anims) == 1 + 3 + 2  # neuron 2 off: it and its 3 + 2 edges
    assert net.masks[1].tolist() == [1, 1, 0, 1]
    for a in anims:
        a.mobject.become(a.mobject.target)
    ref = MLPDiagram((3, 4, 2), width=6, height=3, fill_opacity=0.45).set_mask(1, [1, 1, 0, 1])
    for got, want in zip(net.family_members_with_points(), ref.family_members_with_points()):
        assert got.get_stroke_opacity() == pytest.approx(want.get_stroke_opacity())
        assert got.get_fill_color().to_hex() == want.get_fill_color().to_hex()
    assert net.mask_animations({1: [1, 1, 0, 1]}) == []


# ----------------------------------------------------------------- Dropout
def test_dropout_data_is_the_notebooks_example():
    from scenes.ch3_regularization import dropout_data

    d = dropout_data()
    assert d.z.tolist() == [10, 20, 30, 40, 50] and d.p == 0.4
    assert [m.tolist() for m in d.masks] == [[1, 0, 1, 0, 1], [0, 1, 1, 1, 0]]
    # independent: keep, zero, divide by 0.6 — by hand, element by element
    for m, out, app in zip(d.masks, d.outputs, d.applied):
        for i in range(5):
            assert app[i] == (d.z[i] if m[i] else 0)
            assert out[i] == pytest.approx(d.z[i] / 0.6 if m[i] else 0.0)
    np.testing.assert_allclose(d.outputs[0], [50 / 3, 0, 50, 0, 250 / 3])  # the notebook's 16.7, 0, 50.1, 0, 83.5
    assert d.scale == pytest.approx(1 / 0.6) and d.keep == pytest.approx(0.6)
    assert d.eval_output.tolist() == [10, 20, 30, 40, 50]  # test time: no mask, no scaling
    assert d.always_kept == (2,)  # neuron 3 (value 30), the notebook's key observation


def test_dropout_one_story_network_and_numbers_share_the_masks():
    """Hidden layer 1 of the network gets the very masks whose numbers the scene shows (issue 15: "neuron 3
    stayed on" next to "off: hidden 1: 3 and 5" told two stories); hidden layer 2's are seeded Bernoulli."""
    from scenes.ch3_regularization import dropout_data

    d = dropout_data()
    assert d.sizes == (3, 5, 5, 2) and len(d.net_masks) == len(d.masks) == 2
    for t, (first, second) in enumerate(d.net_masks):
        assert first.tolist() == d.masks[t].tolist()
        rng = np.random.default_rng(1 + t)  # independent: Bernoulli(1 − p) from the same stream
        u = rng.random(10)
        np.testing.assert_array_equal(second, (u[5:] >= 0.4).astype(int))
    # the words, 1-based, from the masks: the notebook's "neurons 2 and 4", "neurons 1 and 5", neuron 3 kept
    assert d.off_texts[0].startswith("hidden 1: neurons 2 and 4; hidden 2: ")
    assert d.off_texts[1].startswith("hidden 1: neurons 1 and 5; hidden 2: ")
    off2 = [str(i + 1) for i in np.flatnonzero(d.net_masks[0][1] == 0)]
    assert all(k in d.off_texts[0].split("hidden 2: ")[1] for k in off2)
    assert d.always_kept == (2,)
    again = dropout_data()
    assert all(np.array_equal(a, b) for x, y in zip(d.net_masks, again.net_masks) for a, b in zip(x, y))


def test_dropout_factor_and_the_notebooks_rounding():
    from scenes.ch3_regularization import dropout_data

    d = dropout_data()
    assert d.notebook and d.keep_text == "0.6" and d.scale_text == "1.666…"
    # the notebook writes 50.1 and 83.5: 30 and 50 times the factor rounded to 1.67; exactly 50 and 83.33
    assert d.rounding == ("The notebook rounds the factor to × 1.67: 30 × 1.67 = 50.1 and 50 × 1.67 = 83.5; "
                          "the exact × 1.666… gives 50 and 83.33")
    assert 30 * 1.67 == pytest.approx(50.1) and 50 * 1.67 == pytest.approx(83.5)
    e = dropout_data(p=0.5, masks=((1, 1, 0, 1, 0),))
    assert e.scale_text == "2" and e.rounding == "" and not e.notebook
    f = dropout_data(z=(3, 6, 9), p=0.25, masks=((1, 1, 1), (0, 1, 1)))
    assert f.scale_text == "1.333…" and f.keep_text == "0.75"
    assert f.rounding.startswith("Rounding the factor to × 1.33: 6 × 1.33 = 7.98 and 9 × 1.33 = 11.97;")
    assert f.rounding.endswith("gives 8 and 12")
    assert dropout_data(p=0.2, masks=((1, 0, 1, 0, 1),)).scale_text == "1.25"


def test_dropout_data_other_example_and_errors():
    from scenes.ch3_regularization import dropout_data

    d = dropout_data(z=(4, 8, 12, 16), p=0.5, masks=((1, 1, 0, 0), (0, 1, 0, 1), (1, 1, 1, 0)), hidden=6, seed=7)
    assert d.sizes == (3, 4, 6, 2) and len(d.net_masks) == 3
    np.testing.assert_allclose(d.outputs[1], [0, 16, 0, 32])
    assert d.always_kept == (1,) and d.off_texts[2].startswith("hidden 1: neuron 4; ")
    r = dropout_data(masks=None, iterations=3, seed=5, p=0.5)  # drawn: Bernoulli(1 − p) with seed + t
    for t, m in enumerate(r.masks):
        np.testing.assert_array_equal(m, (np.random.default_rng(5 + t).random(5) >= 0.5).astype(int))
    with pytest.raises(ValueError, match="one 0/1 entry per value of z"):
        dropout_data(masks=((1, 0, 1),))
    with pytest.raises(ValueError, match="only hold 0"):
        dropout_data(masks=((1, 0, 2, 1, 1),))


def test_dropout_parameters_are_declared_with_limits():
    from cnnviz import params
    from scenes.ch3_regularization import Dropout

    specs = params.scene_params(Dropout)
    assert {"z", "p", "masks", "iterations", "hidden", "seed"} <= set(specs)
    params.coerce(Dropout, {"z": [1, 2, 3, 4, 5, 6, 7]})
    with pytest.raises(params.ParamError, match="at most 7 numbers"):
        params.coerce(Dropout, {"z": [1, 2, 3, 4, 5, 6, 7, 8]})
    with pytest.raises(params.ParamError, match="p is 0.9"):
        params.coerce(Dropout, {"p": 0.9})


# ----------------------------------------------------------------- BackpropWeightSharing
def _conv_loops(x, w):
    """Valid cross-correlation with explicit loops (the reference)."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    oh, ow = x.shape[0] - w.shape[0] + 1, x.shape[1] - w.shape[1] + 1
    y = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            for a in range(w.shape[0]):
                for b in range(w.shape[1]):
                    y[i, j] += w[a, b] * x[i + a, j + b]
    return y


def _finite_difference_grad(x, w, delta, h=1e-4):
    """∂L/∂W by central differences of an explicit, non-linear loss whose ∂L/∂Y at W is δ:
    L(W) = ½ Σ (Y(W) − T)² with the target T = Y(W₀) − δ."""
    w = np.asarray(w, float)
    target = _conv_loops(x, w) - np.asarray(delta, float)

    def loss(wv):
        return 0.5 * np.sum((_conv_loops(x, wv) - target) ** 2)

    g = np.zeros_like(w)
    for a in range(w.shape[0]):
        for b in range(w.shape[1]):
            e = np.zeros_like(w)
            e[a, b] = h
            g[a, b] = (loss(w + e) - loss(w - e)) / (2 * h)
    return g


def test_backprop_data_matches_finite_differences():
    from scenes.ch3_training import backprop_data

    d = backprop_data()
    assert d.x.shape == (3, 3) and d.w.shape == (2, 2) and d.y.shape == (2, 2) and d.delta.shape == (2, 2)
    np.testing.assert_allclose(d.y, _conv_loops(d.x, d.w))
    np.testing.assert_allclose(d.dw, _finite_difference_grad(d.x, d.w, d.delta), atol=1e-6)
    # w11's four paths: δ_ij · x_ij, the notebook's formula written out
    assert [(i, j) for i, j, *_ in d.paths] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for i, j, xv, dv, pv in d.paths:
        assert xv == d.x[i, j] and dv == d.delta[i, j] and pv == xv * dv
    expected = sum(d.delta[i, j] * d.x[i, j] for i in range(2) for j in range(2))
    assert d.grad_weight == expected == d.dw[0, 0]
    # ∇W = X ⋆ δ, window by window
    for step in d.dw_steps:
        r, c = step.out_pos
        assert step.output == pytest.approx(np.sum(d.x[r:r + 2, c:c + 2] * d.delta)) == d.dw[r, c]
    assert len(set(d.dw.ravel().tolist())) == 4  # four different gradients: a readable example


def test_backprop_data_other_example():
    from scenes.ch3_training import backprop_data

    rng = np.random.default_rng(3)
    x, w, delta = rng.integers(-3, 4, (4, 4)), rng.integers(-2, 3, (3, 3)), rng.integers(-2, 3, (2, 2))
    d = backprop_data(x=x, w=w, delta=delta, weight=(2, 3))  # w₂₃: rows and columns from 1
    np.testing.assert_allclose(d.dw, _finite_difference_grad(x, w, delta), atol=1e-6)
    assert len(d.paths) == 4 and d.grad_weight == pytest.approx(d.dw[1, 2])
    assert all(xv == x[i + 1, j + 2] for i, j, xv, *_ in d.paths)
    with pytest.raises(ValueError, match="not in the 3×3 kernel"):
        backprop_data(x=x, w=w, delta=delta, weight=(4, 1))
    with pytest.raises(ValueError, match=r"^delta must have the shape of the output Y = X ⊛ W: 2×2 \(X 4×4, W 3×3\), got 3×3$"):
        backprop_data(x=x, w=w, delta=np.ones((3, 3)))


def test_backprop_parameters_and_limits():
    from cnnviz import params
    from scenes.ch3_training import BackpropWeightSharing

    assert {"x", "w", "delta", "weight"} <= set(params.scene_params(BackpropWeightSharing))
    params.coerce(BackpropWeightSharing, {"x": [[1] * 4] * 4, "w": [[1] * 3] * 3})
    with pytest.raises(params.ParamError, match="at most 4×4 fits this scene at a readable size"):
        params.coerce(BackpropWeightSharing, {"x": [[1] * 5] * 5})
    with pytest.raises(params.ParamError, match="at most 3×3 fits this scene at a readable size"):
        params.coerce(BackpropWeightSharing, {"w": [[1] * 4] * 4})
    with pytest.raises(params.ParamError, match="at most 2×2 fits this scene at a readable size"):  # 9 paths: too many
        params.coerce(BackpropWeightSharing, {"delta": [[1] * 3] * 3})


# ----------------------------------------------------------------- BatchNormStep
def test_batch_norm_data_against_the_formula_written_out():
    from scenes.ch3_regularization import batch_norm_data

    d = batch_norm_data()
    B, D = d.x.shape
    assert (B, D) == (4, 3)
    for j in range(D):  # feature by feature, with plain Python
        col = [float(v) for v in d.x[:, j]]
        mu = sum(col) / B
        var = sum((v - mu) ** 2 for v in col) / B  # biased, as in training
        assert d.mean[j] == pytest.approx(mu) and d.var[j] == pytest.approx(var)
        for i in range(B):
            xh = (col[i] - mu) / (var + 1e-5) ** 0.5
            assert d.x_hat[i, j] == pytest.approx(xh)
            assert d.y[i, j] == pytest.approx(d.gamma[j] * xh + d.beta[j])
    assert d.mean.tolist() == [6, 200, -2] and d.var.tolist() == [14, 6250, 2.5]
    np.testing.assert_allclose(d.x_hat_mean, 0, atol=1e-12)
    np.testing.assert_allclose(d.x_hat_var, 1, atol=1e-5)
    # the features come on very different scales and leave on the same one
    assert np.ptp(d.x, axis=0).max() / np.ptp(d.x, axis=0).min() >= 50
    assert np.ptp(d.x_hat, axis=0).max() / np.ptp(d.x_hat, axis=0).min() < 1.5


def test_batch_norm_data_other_example():
    from scenes.ch3_regularization import batch_norm_data

    x = np.array([[1.0, 4.0], [3.0, 8.0], [5.0, 0.0], [7.0, 4.0], [9.0, 4.0]])
    d = batch_norm_data(x=x, gamma=1.5, beta=0.5, eps=1e-3)
    ref = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3) * 1.5 + 0.5
    np.testing.assert_allclose(d.y, ref)
    assert d.gamma.tolist() == [1.5, 1.5]
    with pytest.raises(ValueError, match="B×D"):
        batch_norm_data(x=[1, 2, 3])


def test_batch_norm_sentence_follows_the_data():
    """Issue 16: a constant feature said "every feature now has variance 0.67"; its variance is 0."""
    from scenes.ch3_regularization import batch_norm_data

    assert batch_norm_data().summary == "every feature now has mean 0 and variance 1"
    x = [[1, 4, 7], [3, 8, 7], [5, 0, 7], [7, 4, 7], [9, 4, 7]]
    d = batch_norm_data(x=x, gamma=(1.5, 1, 2), beta=(0.5, 0, -1), eps=1e-3)
    col = np.array(x, float)
    xh_var = [((c - c.mean()) ** 2).mean() / (((c - c.mean()) ** 2).mean() + 1e-3) for c in col.T]
    assert [round(v, 2) for v in xh_var] == [1.0, 1.0, 0.0]
    assert d.summary == "the features now have mean 0 and variances 1, 1 and 0 (feature 3: constant, nothing to scale)"


def test_batch_norm_refuses_a_wrong_gamma_and_too_large_a_batch():
    from cnnviz import params
    from scenes.ch3_regularization import BATCH_NORM_MAX, BatchNormStep, batch_norm_data

    with pytest.raises(ValueError, match=r"^gamma must hold one number per feature: the mini-batch has 3 features "
                                         r"\(shape 4×3\), gamma has 2 numbers$"):
        batch_norm_data(gamma=(1.0, 2.0))
    with pytest.raises(ValueError, match="^beta must hold one number per feature"):
        batch_norm_data(beta=(1.0, 2.0, 3.0, 4.0))
    assert BATCH_NORM_MAX == (7, 3)
    params.coerce(BatchNormStep, {"x": [[1, 2, 3]] * 7})
    with pytest.raises(params.ParamError, match="at most 7×3 fits this scene at a readable size"):
        params.coerce(BatchNormStep, {"x": [[1, 2, 3]] * 8})
    with pytest.raises(params.ParamError, match="at most 7×3 fits this scene at a readable size"):
        params.coerce(BatchNormStep, {"x": [[1, 2, 3, 4]] * 4})
    # numbers too wide for three grids across the frame, at the smallest readable font: refused by name
    with pytest.raises(ValueError, match=r"^x: the numbers of this mini-batch are too wide .* '124,118.42'"):
        batch_norm_data(x=[[-999.5, 1, 2]] + [[i * 37.25 - 100, 2 * i, -i] for i in range(6)])


# ----------------------------------------------------------------- MiniBatchTraining
def test_conv2d_batch_against_scipy_image_by_image():
    from scipy.signal import correlate2d

    from cnnviz import core

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (5, 7, 6, 3)).astype(np.uint8)
    w = rng.normal(size=(3, 3, 3, 4))
    b = rng.normal(size=4)
    out = core.conv2d_batch(x, w, b, padding=1)
    assert out.shape == (5, 7, 6, 4)
    for n in range(5):
        xp = np.pad(x[n].astype(float), [(1, 1), (1, 1), (0, 0)])
        for m in range(4):
            ref = sum(correlate2d(xp[:, :, c], w[:, :, c, m], mode="valid") for c in range(3)) + b[m]
            np.testing.assert_allclose(out[n, :, :, m], ref)
    # stride 2, single 2-D kernel on grey images
    g = rng.integers(-5, 6, (2, 5, 5))
    k = rng.integers(-2, 3, (2, 2))
    out2 = core.conv2d_batch(g, k, stride=2)
    assert out2.shape == (2, 2, 2) and out2.dtype == np.int64
    for n in range(2):
        np.testing.assert_array_equal(out2[n], correlate2d(g[n], k, mode="valid")[::2, ::2])
    with pytest.raises(ValueError, match="N×H×W"):
        core.conv2d_batch(np.zeros((4, 4)), k)
    with pytest.raises(ValueError, match="channel"):
        core.conv2d_batch(np.zeros((2, 4, 4, 3)), np.zeros((2, 2, 2, 1)))


def test_training_schedule():
    from cnnviz import core

    s = core.training_schedule(8000, 32, 20)
    assert (s.steps_per_epoch, s.total_updates, s.last_batch_size) == (8000 // 32, 250 * 20, 32) == (250, 5000, 32)
    s = core.training_schedule(1000, 64, 3)  # 15 full batches and one of 40
    assert (s.steps_per_epoch, s.last_batch_size, s.total_updates) == (16, 1000 - 15 * 64, 48)
    s = core.training_schedule(1000, 64, 3, drop_last=True)
    assert (s.steps_per_epoch, s.last_batch_size, s.total_updates) == (15, 64, 45)
    for bad in (dict(dataset_size=0, batch_size=1), dict(dataset_size=10, batch_size=2.5),
                dict(dataset_size=10, batch_size=2, epochs=0)):
        with pytest.raises(ValueError):
            core.training_schedule(**bad)


def test_minibatch_data_is_one_stacked_tensor_of_real_crops():
    from PIL import Image

    from cnnviz import images
    from scenes.ch3_training import minibatch_data

    d = minibatch_data()
    assert d.batch.shape == (32, 3, 64, 64) and d.images.shape == (32, 64, 64, 3)
    assert d.out.shape == (32, 8, 64, 64)
    assert (d.schedule.steps_per_epoch, d.schedule.total_updates) == (250, 5000)
    assert len({src[0] for src in d.sources}) == 3  # all three photos take part
    for k in (0, 7, 31):  # recompute crops from the files: Pillow crop + NumPy block means
        name, box, f = d.sources[k]
        with Image.open(images.photo_path(name)) as im:
            region = np.asarray(im.convert("RGB").crop(box), dtype=float)
        ref = images.block_mean(region, f)
        assert np.abs(d.batch[k].transpose(1, 2, 0) - ref).max() <= 0.5 + 1e-9
    # the layer's output, image by image, from the kernel written out as loops over a few pixels
    xp = np.pad(d.images.astype(float), [(0, 0), (1, 1), (1, 1), (0, 0)])
    for n, i, j, m in ((0, 0, 0, 0), (5, 10, 20, 3), (31, 63, 63, 7)):
        ref = sum(xp[n, i + a, j + b, c] * d.kernel[a, b, c, m] for a in range(3) for b in range(3) for c in range(3))
        assert d.out[n, m, i, j] == pytest.approx(ref + d.bias[m])
    assert d.feature_maps.shape == (32, 64, 64) and d.feature_maps.max() == 255


def test_minibatch_data_other_example():
    from scenes.ch3_training import minibatch_data

    d = minibatch_data(dataset_size=1000, batch_size=12, epochs=3, image_size=32, channels=1, filters=4,
                       kernel_size=5, seed=4)
    assert d.batch.shape == (12, 1, 32, 32) and d.out.shape == (12, 4, 32, 32)
    assert (d.schedule.steps_per_epoch, d.schedule.last_batch_size, d.schedule.total_updates) == (84, 4, 252)
    with pytest.raises(ValueError, match="channels"):
        minibatch_data(channels=2)


# ----------------------------------------------------------------- TrainVsEval
def test_running_stats_update_against_the_closed_form():
    from cnnviz import core

    rng = np.random.default_rng(1)
    batches = rng.normal(3.0, 2.0, (12, 6, 2))  # 12 steps, batches of 6 samples × 2 features
    m = 0.1
    rm, rv = np.zeros(2), np.ones(2)
    for b in batches:
        rm, rv = core.running_stats_update(rm, rv, b, momentum=m)
    # closed form of the recursion: (1 − m)^T · start + Σ_t m (1 − m)^(T − 1 − t) · stat_t
    T = len(batches)
    w = np.array([m * (1 - m) ** (T - 1 - t) for t in range(T)])
    means = np.array([[np.mean(b[:, j]) for j in range(2)] for b in batches])
    uvars = np.array([[np.var(b[:, j], ddof=1) for j in range(2)] for b in batches])  # unbiased, as PyTorch
    np.testing.assert_allclose(rm, (1 - m) ** T * 0 + w @ means)
    np.testing.assert_allclose(rv, (1 - m) ** T * 1 + w @ uvars)
    # biased variant and a scalar feature
    s = core.running_stats_update(0.0, 1.0, [1.0, 3.0], momentum=0.5, unbiased=False)
    assert (float(s.mean), float(s.var)) == (1.0, 1.0)
    s = core.running_stats_update(0.0, 1.0, [1.0, 3.0], momentum=0.5)
    assert float(s.var) == pytest.approx(0.5 * 1 + 0.5 * 2.0)
    with pytest.raises(ValueError, match="momentum"):
        core.running_stats_update(0.0, 1.0, [1.0, 2.0], momentum=1.5)
    with pytest.raises(ValueError, match="does not match"):
        core.running_stats_update(np.zeros(3), np.ones(3), batches[0])
    with pytest.raises(ValueError, match="at least 2"):
        core.running_stats_update(0.0, 1.0, [5.0])


def test_batch_norm_eval_uses_the_running_statistics():
    from cnnviz import core

    x = np.array([[1.0, 10.0], [3.0, 30.0], [8.0, 20.0]])
    rm, rv, g, b = np.array([2.0, 25.0]), np.array([4.0, 100.0]), np.array([2.0, 1.0]), np.array([0.5, -1.0])
    res = core.batch_norm_eval(x, rm, rv, g, b, eps=0.0)
    for i in range(3):
        for j in range(2):
            assert res.y[i, j] == pytest.approx(g[j] * (x[i, j] - rm[j]) / rv[j] ** 0.5 + b[j])
    # one sample alone gets the same output as inside the batch: no batch dependence
    alone = core.batch_norm_eval(x[1:2], rm, rv, g, b, eps=0.0)
    np.testing.assert_allclose(alone.y[0], res.y[1])
    # feature maps N×H×W×C, statistics per channel
    fm = np.random.default_rng(0).normal(size=(2, 3, 3, 4))
    r = core.batch_norm_eval(fm, np.arange(4.0), np.full(4, 2.0), axis=(0, 1, 2), eps=1e-5)
    np.testing.assert_allclose(r.x_hat[1, 2, 0, 3], (fm[1, 2, 0, 3] - 3.0) / np.sqrt(2.0 + 1e-5))
    with pytest.raises(ValueError, match="does not match"):
        core.batch_norm_eval(x, np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="negative"):
        core.batch_norm_eval(x, rm, -rv)


def test_random_flip_crop_moves_pixels_as_it_says():
    from cnnviz import core

    img = np.arange(8 * 10 * 3, dtype=np.int64).reshape(8, 10, 3) + 1  # no zeros: padding shows as 0
    for seed in range(12):
        res = core.random_flip_crop(img, pad=3, seed=seed)
        assert res.image.shape == img.shape
        src = img[:, ::-1] if res.flipped else img
        dy, dx = res.shift
        assert -3 <= dy <= 3 and -3 <= dx <= 3
        for r in range(8):  # every output pixel, by hand
            for c in range(10):
                sr, sc = r - dy, c - dx
                expected = src[sr, sc] if 0 <= sr < 8 and 0 <= sc < 10 else 0
                np.testing.assert_array_equal(res.image[r, c], expected)
    flips = [core.random_flip_crop(img, seed=s).flipped for s in range(40)]
    assert 10 < sum(flips) < 30  # about half
    off = core.random_flip_crop(img, pad=3, seed=0, training=False)
    np.testing.assert_array_equal(off.image, img)
    assert (off.flipped, off.shift) == (False, (0, 0))
    assert core.random_flip_crop(img, flip_p=0.0, pad=0, seed=5).image.tolist() == img.tolist()
    with pytest.raises(ValueError, match="flip probability"):
        core.random_flip_crop(img, flip_p=2)


def test_train_vs_eval_data():
    from cnnviz import core, images
    from scenes.ch3_regularization import train_vs_eval_data

    d = train_vs_eval_data()
    assert d.image.shape == (48, 48, 3)
    np.testing.assert_array_equal(d.image, images.photo("chelsea", "RGB", box=(78, 6, 366, 294), factor=6))
    # augmentation: on in training (each step differs from the original), off in evaluation
    assert all(not np.array_equal(a.image, d.image) for a in d.augmented)
    assert any(a.flipped for a in d.augmented) and any(not a.flipped for a in d.augmented)
    assert all(np.array_equal(e.image, d.image) for e in d.evaluated)
    # batch norm: the recursion written out, from PyTorch's start (0, 1)
    rm, rv = 0.0, 1.0
    for b in d.batches:
        rm = 0.9 * rm + 0.1 * np.mean(b)
        rv = 0.9 * rv + 0.1 * np.var(b, ddof=1)
    assert float(d.running.mean) == pytest.approx(rm) and float(d.running.var) == pytest.approx(rv)
    x = d.batches[-1]
    np.testing.assert_allclose(d.bn_train.x_hat, (x - x.mean()) / np.sqrt(x.var() + 1e-5))
    np.testing.assert_allclose(d.bn_eval.x_hat, (x - rm) / np.sqrt(rv + 1e-5))
    assert np.abs(d.bn_train.x_hat - d.bn_eval.x_hat).max() > 0.2  # visibly different on screen
    # dropout: masked and doubled (p = 0.5) in training, untouched in evaluation
    assert 0 < d.mask.sum() < d.z.size
    np.testing.assert_allclose(d.drop_train, [v * 2 if k else 0 for v, k in zip(d.z, d.mask)])
    np.testing.assert_array_equal(d.drop_eval, d.z)
    np.testing.assert_array_equal(d.mask, core.dropout_mask(5, 0.5, seed=3))



def test_train_vs_eval_shift_says_rows_and_columns():
    """Issue 15: "shift (+4, +3)" did not say which number is rows; the words come from where the pixels went."""
    from scenes.ch3_regularization import _shift_text, train_vs_eval_data

    d = train_vs_eval_data()
    for a in d.augmented:
        src = d.image[:, ::-1] if a.flipped else d.image
        dy, dx = a.shift
        # independent: the augmented image is the source moved dy rows down and dx columns right (zeros come in)
        H, W = src.shape[:2]
        moved = np.zeros_like(src)
        moved[max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            src[max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
        np.testing.assert_array_equal(a.image, moved)
    assert [_shift_text(a.shift) for a in d.augmented][0] == "moved 4 px down, 3 px right"
    assert _shift_text((-2, 0)) == "moved 2 px up" and _shift_text((0, -5)) == "moved 5 px left"
    assert _shift_text((0, 0)) == "not moved"


def test_train_vs_eval_parameters_and_limits():
    from cnnviz import params
    from scenes.ch3_regularization import TrainVsEval

    specs = params.scene_params(TrainVsEval)
    assert {"photo", "box", "factor", "pad", "steps", "batch_size", "z", "p", "seed"} <= set(specs)
    params.coerce(TrainVsEval, {"batch_size": 5, "z": [1, 2, 3, 4, 5]})
    with pytest.raises(params.ParamError, match="batch_size is 6"):
        params.coerce(TrainVsEval, {"batch_size": 6})
    with pytest.raises(params.ParamError, match="at most 5 numbers"):
        params.coerce(TrainVsEval, {"z": [1, 2, 3, 4, 5, 6]})


@pytest.mark.slow
@pytest.mark.parametrize("scene, values", [
    ("BatchNormStep", dict(x=[[1, 2, 3]] * 3 + [[5, 6, 7.5]] * 4)),                      # the largest batch, 7×3
    ("Dropout", dict(z=(-999, 250.5, 999, 12, 7, 3, 100), p=0.3, masks=None, iterations=4, hidden=7)),  # 7 values
    ("BackpropWeightSharing", dict(x=[[-9, 8, -7, 6]] * 4, w=[[9, -9, 9]] * 3, delta=[[-9, 9], [9, -9]],
                                   weight=(3, 3))),                      # 4×4 ⊛ 3×3, the widest numbers
    ("MiniBatchTraining", dict(batch_size=64, image_size=8, channels=1, dataset_size=1_000_000, epochs=100,
                               filters=16, kernel_size=5)),
])
def test_training_scenes_at_their_limits_pass_the_layout_check(scene, values):
    """The largest values each scene accepts still render readably (the next size is refused: the tests above)."""
    from layout_examples import with_example

    from cnnviz import registry
    from cnnviz.layout import check_scene

    problems = check_scene(with_example(registry.get(scene).load(), **values), pacing=(5, 40))
    assert not problems, "\n".join(map(str, problems[:20]))
