"""Chapter 3, the trained networks on screen: TinyCNN_ImageInput and NeuralNetworkAnimation (the trained
TinyCNN on a digit) and TrainingCurve (the training log). Every number is checked against an independent
NumPy computation written here from the stored file (``cnnviz/assets/trained.npz``), not through the core."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz import notation, trained


def _stored(key):
    with np.load(trained.PATH, allow_pickle=False) as f:
        return f[key].astype(np.float64)


def _forward(image):
    """The TinyCNN written out with NumPy from the stored weights: 3×3 valid conv + bias, ReLU,
    2×2 max-pool, flatten row by row (channels last), dense, softmax."""
    k, b = _stored("tiny_cnn.kernels"), _stored("tiny_cnn.conv_bias")
    w, c = _stored("tiny_cnn.dense_w"), _stored("tiny_cnn.dense_b")
    x = image.astype(np.float64) / 255.0
    F, M = k.shape[0], k.shape[3]
    oh, ow = x.shape[0] - F + 1, x.shape[1] - F + 1
    z = np.zeros((oh, ow, M))
    for u in range(F):
        for v in range(F):
            z += x[u:u + oh, v:v + ow, None] * k[u, v, 0]
    z += b
    a = np.maximum(z, 0)
    p = a.reshape(oh // 2, 2, ow // 2, 2, M).max(axis=(1, 3))
    flat = p.reshape(-1)
    logits = flat @ w + c
    e = np.exp(logits - logits.max())
    return z, a, p, flat, logits, e / e.sum()


@pytest.mark.parametrize("digit", range(10))
def test_the_trained_cnn_reads_every_digit_right(digit):
    from cnnviz import images
    from scenes.ch3_pipeline import tiny_cnn_data

    d = tiny_cnn_data(digit)
    z, a, p, flat, logits, probs = _forward(images.digit(digit))
    np.testing.assert_allclose(d.z, z, atol=1e-9)
    np.testing.assert_allclose(d.a, a, atol=1e-9)
    np.testing.assert_allclose(d.p, p, atol=1e-9)
    np.testing.assert_allclose(d.flat, flat, atol=1e-9)
    np.testing.assert_allclose(d.logits, logits, atol=1e-7)
    np.testing.assert_allclose(d.probs, probs, atol=1e-9)
    assert d.digit == digit and d.predicted == digit == int(np.argmax(probs))
    assert d.verdict.endswith(": right") and f'"{digit}"' in d.verdict
    assert probs[digit] > 0.9


def _fmt_prob(p):  # the scenes' percentages, written again
    pct = 100 * p
    return "> 99.99 %" if pct > 99.99 else "< 0.01 %" if 0 < pct < 0.01 else f"{notation.fmt_num(pct)} %"


@pytest.mark.parametrize("digit", [5, 3, 6])
def test_every_number_the_cnn_scenes_show(digit):
    from cnnviz import images
    from scenes.ch3_pipeline import NeuralNetworkAnimation, TinyCNN_ImageInput, fmt_prob, tiny_cnn_data

    d = tiny_cnn_data(digit)
    z, a, p, flat, logits, probs = _forward(images.digit(digit))
    assert [fmt_prob(v) for v in d.probs] == [_fmt_prob(v) for v in probs]
    shown = TinyCNN_ImageInput.must_show(None, d)
    for text in [_fmt_prob(v) for v in probs] + [notation.fmt_num(v) for v in logits] + ["676", "28×28×1",
                                                                                         "26×26×4", "13×13×4"]:
        assert text in shown
    # NeuralNetworkAnimation: the strongest pooled neuron, its 2×2 window of conv neurons, and the first one's terms
    m, r, c = np.unravel_index(np.argmax(np.moveaxis(p, 2, 0)), (p.shape[2], p.shape[0], p.shape[1]))
    assert d.focus == (m, r, c)
    (r0, c0), side, conv_pos, wsum = NeuralNetworkAnimation.window(d)
    assert (r0, c0, side) == (2 * r, 2 * c, 4) and conv_pos == [(2 * r + i, 2 * c + j) for i in (0, 1) for j in (0, 1)]
    x = images.digit(digit) / 255.0
    kern, bias = _stored("tiny_cnn.kernels")[:, :, 0, m], _stored("tiny_cnn.conv_bias")[m]
    assert wsum == pytest.approx(float((x[r0:r0 + 3, c0:c0 + 3] * kern).sum()), abs=1e-9)  # Σ w·x, the bias apart
    assert wsum + bias == pytest.approx(z[r0, c0, m], abs=1e-9)
    assert max(a[i, j, m] for i, j in conv_pos) == pytest.approx(p[r, c, m])
    nna = NeuralNetworkAnimation.must_show(None, d)
    assert [notation.fmt_num(a[i, j, m]) for i, j in conv_pos] + [notation.fmt_num(p[r, c, m])] == nna[:5]
    assert nna[5:15] == [_fmt_prob(v) for v in probs]
    # the products panel: kernel m's 9 weights times the 9 pixels under them, shown to 3 decimals, and their sum
    prods = [float(kern[i, j]) * float(x[r0 + i, c0 + j]) for i in range(3) for j in range(3)]
    assert nna[15:] == [notation.fmt_num(v, 3) for v in prods]
    assert NeuralNetworkAnimation.sum_lines(d)[0] == f"Σ w·x = {notation.fmt_num(sum(prods))}"


def test_kernel_words_follow_the_learned_kernels():
    from scenes.ch3_pipeline import edge_likeness, kernel_word, tiny_cnn_data

    d = tiny_cnn_data()
    k = _stored("tiny_cnn.kernels")[:, :, 0, :]
    horizontal = np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], float)
    cos3 = (k[:, :, 2] * horizontal).sum() / np.linalg.norm(k[:, :, 2]) / np.linalg.norm(horizontal)
    assert cos3 > 0.7 and d.kernel_words[2] == "bright above, dark below"
    assert edge_likeness(k[:, :, 2]) == ("bright above, dark below", pytest.approx(cos3))
    # a made-up kernel: a vertical edge, dark left, bright right; noise: no single edge
    assert kernel_word([[-1, 0, 1]] * 3) == "dark left, bright right"
    assert kernel_word([[1, -1, 1], [-1, 1, -1], [1, -1, 1]]) == "no single edge"
    with pytest.raises(ValueError, match="3×3"):
        edge_likeness(np.ones((2, 2)))


@pytest.mark.parametrize("bad", [10, -1, 2.5, True, "5"])
def test_the_digit_is_refused_outside_0_to_9(bad):
    from cnnviz import params
    from scenes.ch3_pipeline import TinyCNN_ImageInput, tiny_cnn_data

    with pytest.raises(ValueError, match="digit"):
        tiny_cnn_data(bad)
    if isinstance(bad, int) and not isinstance(bad, bool):
        with pytest.raises(params.ParamError, match="from 0 to 9"):
            params.coerce(TinyCNN_ImageInput, {"digit": bad})
    assert params.coerce(TinyCNN_ImageInput, {"digit": 9}) == {"digit": 9}


def test_linear_signed_shading_is_proportional():
    from cnnviz.drawings import map_pixels

    v = np.array([[-2.0, -1.0, 0.0, 1.0, 2.0]])
    lin = map_pixels(v, (-2, 2), signed=True, linear=True).astype(float)
    old = map_pixels(v, (-2, 2), signed=True).astype(float)
    panel = lin[0, 2]
    np.testing.assert_allclose(lin[0, 3] - panel, (lin[0, 4] - panel) / 2, atol=1)  # half the value, half the colour
    np.testing.assert_allclose(old[0, 4], lin[0, 4])  # full colour at the end either way
    assert np.abs(old[0, 3] - panel).sum() > np.abs(lin[0, 3] - panel).sum()  # the default starts at a quarter


# ----------------------------------------------------------------- TrainingCurve: the training log
@pytest.mark.parametrize("network, stored", [("cnn", "tiny_cnn"), ("mlp", "mlp")])
def test_training_curve_data_is_the_log(network, stored):
    from scenes.ch3_learning import training_curve_data

    d = training_curve_data(network)
    for field in ("steps", "loss", "accuracy", "val_accuracy", "snapshot_steps"):
        np.testing.assert_array_equal(getattr(d, field), _stored(f"{stored}.log.{field}"), err_msg=field)
    assert d.held_out == pytest.approx(_stored(f"{stored}.held_out_accuracy"))
    steps, loss, val = (_stored(f"{stored}.log.{f}") for f in ("steps", "loss", "val_accuracy"))
    # the sentences, from the log's own numbers
    assert d.loss_sentence == (f"the loss falls from {notation.fmt_num(loss[0])} to {notation.fmt_num(loss[-1])} "
                               f"in {int(steps[-1])} updates")
    assert loss[-1] < loss[0] / 10  # it learned
    first = next(int(s) for s, v in zip(steps, val) if v >= 0.9)
    assert f"90 % passed at step {first})" in d.accuracy_sentence
    assert d.accuracy_sentence.startswith(f"held-out accuracy: {notation.fmt_num(100 * val[0], 1)} % at step "
                                          f"{int(steps[0])}, {notation.fmt_num(100 * val[-1], 1)} % at the end")


def test_training_curve_kernels_become_edges():
    from scenes.ch3_learning import TrainingCurve, training_curve_data

    d = training_curve_data("cnn")
    ks = _stored("tiny_cnn.log.kernels")[:, :, :, 0, :]   # (S, 3, 3, M)
    np.testing.assert_array_equal(d.kernels[:, :, :, 0, :], ks)
    np.testing.assert_allclose(ks[-1], _stored("tiny_cnn.kernels")[:, :, 0, :], atol=1e-6)  # the last snapshot: the end
    # likeness written again: the best cosine with the 8 signed edge patterns
    pats = [np.array(p, float) for p in ([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], [[1, 0, -1]] * 3,
                                         [[1, 1, 0], [1, 0, -1], [0, -1, -1]], [[0, 1, 1], [-1, 0, 1], [-1, -1, 0]])]
    like = np.array([[max(abs((ks[s, :, :, k] * p).sum()) / np.linalg.norm(ks[s, :, :, k]) / np.linalg.norm(p)
                          for p in pats) for k in range(ks.shape[-1])] for s in range(ks.shape[0])])
    np.testing.assert_allclose(d.likeness, like, atol=1e-12)
    k = int(np.argmax(like[-1] - like[0]))
    assert d.tracked == k and like[-1, k] > 0.8 > like[0, k]  # random at the start, edge-like at the end
    assert d.kernel_lines[1] == (f"likeness {notation.fmt_num(like[0, k])} at the random start, "
                                 f"{notation.fmt_num(like[-1, k])} after {int(d.snapshot_steps[-1])} updates")
    shown = TrainingCurve.must_show(None, d)
    assert notation.fmt_num(like[-1, k]) in shown and str(int(d.snapshot_steps[-1])) in shown
    mlp = training_curve_data("mlp")
    assert len(mlp.snapshot_steps) == 0 and mlp.kernel_lines == ("", "")
    with pytest.raises(ValueError, match="network"):
        training_curve_data("resnet")


def test_training_curve_is_in_chapter_3_after_minibatch_training():
    from cnnviz import registry

    names = [s.name for s in registry.CATALOG]
    assert names[names.index("MiniBatchTraining") + 1] == "TrainingCurve"
    assert registry.get("TrainingCurve").chapter == 3 and registry.get("TrainingCurve").module == "scenes.ch3_learning"


# ----------------------------------------------------------------- TinyMaxPoolingFixed: parameters, dropped cells, words
def _pool_loops(x, k, s):
    x = np.asarray(x, float)
    oh, ow = (x.shape[0] - k) // s + 1, (x.shape[1] - k) // s + 1
    mx, av, covered = np.zeros((oh, ow)), np.zeros((oh, ow)), np.zeros(x.shape, bool)
    for i in range(oh):
        for j in range(ow):
            block = [x[i * s + a][j * s + b] for a in range(k) for b in range(k)]
            mx[i, j], av[i, j] = max(block), sum(block) / len(block)
            covered[i * s:i * s + k, j * s:j * s + k] = True
    return mx, av, covered


def test_pooling_notebook_example_and_its_words():
    from scenes.ch3_pipeline import TinyMaxPoolingFixed, pooling_data

    d = pooling_data()
    mx, av, covered = _pool_loops(d.x, 2, 2)
    np.testing.assert_array_equal(d.max_out, mx) and np.testing.assert_allclose(d.avg_out, av)
    assert d.notebook and covered.all() and d.dropped == () and d.dropped_sentence == ""
    assert d.first_sentence == "max keeps the largest value, 164; the average mixes it with the other 3 to 41.25"
    assert TinyMaxPoolingFixed.must_show(None, d) == ([notation.fmt_num(v) for v in mx.ravel()]
                                                      + [notation.fmt_num(v) for v in av.ravel()])
    assert TinyMaxPoolingFixed.must_show(None, d)[:5] == ["164", "80", "90", "200", "41.25"]


def test_pooling_a_window_that_does_not_tile_the_map_says_its_dropped_cells():
    from scenes.ch3_pipeline import pooling_data

    d = pooling_data(size=3, stride=3)  # issue 16: a 3×3 pool on the 4×4 map leaves 7 cells
    mx, av, covered = _pool_loops(d.x, 3, 3)
    assert d.max_out.tolist() == mx.tolist() == [[164]] and not d.notebook
    assert sorted(d.dropped) == sorted(zip(*np.nonzero(~covered))) and len(d.dropped) == 7
    assert d.dropped_sentence == "7 cells in no window (row 4 and column 4): pooling drops them"
    assert d.first_sentence == (f"max keeps the largest value, 164; the average mixes it with the other 8 to "
                                f"{notation.fmt_num(av[0, 0])}")
    x = (np.arange(36).reshape(6, 6) * 37) % 101
    e = pooling_data(x=x, size=3, stride=2)
    mx, av, covered = _pool_loops(x, 3, 2)
    np.testing.assert_array_equal(e.max_out, mx) and np.testing.assert_allclose(e.avg_out, av)
    assert len(e.dropped) == 11 and e.dropped_sentence.startswith("11 cells in no window (row 6 and column 6)")
    assert pooling_data(x=np.ones((2, 2)) * 3).first_sentence == "all 4 values are equal: max and average agree, 3"


@pytest.mark.parametrize("kw, match", [
    (dict(size=1), "size"), (dict(size=5), "size"), (dict(stride=0), "stride"), (dict(size=2.5), "size"),
    (dict(x=[[1, 2], [3]]), "x"), (dict(x=[[1, np.inf], [1, 2]]), "x"),
    (dict(x=np.zeros((6, 6)), size=2, stride=1), "at most 3×3 fits this scene at a readable size"),
])
def test_pooling_refuses_bad_input_with_one_clear_line(kw, match):
    from scenes.ch3_pipeline import pooling_data

    with pytest.raises(ValueError, match=match):
        pooling_data(**kw)


def test_pooling_parameter_limits():
    from cnnviz import params
    from scenes.ch3_pipeline import TinyMaxPoolingFixed

    assert params.coerce(TinyMaxPoolingFixed, {"x": np.zeros((6, 6)).tolist(), "size": 3, "stride": 3})
    with pytest.raises(params.ParamError, match="at most 6×6 fits this scene at a readable size"):
        params.coerce(TinyMaxPoolingFixed, {"x": np.zeros((7, 7)).tolist()})
    with pytest.raises(params.ParamError, match="size"):
        params.coerce(TinyMaxPoolingFixed, {"size": 4})


def test_pooling_at_its_limits_lays_out_clean():
    """The largest map (6×6, 3-digit negatives) and the largest output (3×3, 2-decimal averages) fit."""
    import sys

    from cnnviz.layout import check_scene
    from scenes.ch3_pipeline import TinyMaxPoolingFixed

    sys.path.insert(0, __import__("os").path.dirname(__file__))
    from layout_examples import with_example

    big = (np.arange(36).reshape(6, 6) * 53) % 1000 - 200
    dec = np.round((np.arange(16).reshape(4, 4) * 3.7) % 90 - 45, 2)
    for kw in (dict(x=big, size=2, stride=2), dict(x=dec, size=2, stride=1), dict(size=3, stride=3)):
        assert check_scene(with_example(TinyMaxPoolingFixed, **kw), pacing=(5, 40)) == [], kw


def test_the_products_panel_says_when_its_rounded_products_do_not_add_up():
    from types import SimpleNamespace

    from scenes.ch3_pipeline import NeuralNetworkAnimation

    # made-up network states with 9 equal products: 0.0004 each is shown as "0" and sums to 0.0036 → "0" (agree);
    # 0.0026 each is shown as "0.003", which add to 0.027 → "0.03", while the exact sum 0.0234 is "0.02"
    def state(w):
        return SimpleNamespace(focus=(0, 0, 0), kernels=np.full((3, 3, 1, 1), w), pool=2,
                               x=np.ones((4, 4, 1)), z=np.full((2, 2, 1), 9 * w), conv_bias=np.zeros(1))

    assert NeuralNetworkAnimation.sum_lines(state(0.0004)) == ("Σ w·x = 0",)
    assert NeuralNetworkAnimation.sum_lines(state(0.0026)) == ("Σ w·x = 0.02", "(rounded, they add to 0.03)")

