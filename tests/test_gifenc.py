"""cnnviz.engine.gifenc on its own: round trips through Pillow, merging, timing, transparency, memory."""

from __future__ import annotations

import io
import math
import tracemalloc
from fractions import Fraction

import numpy as np
import pytest
from helpers import examples, read_gif
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cnnviz.engine import gifenc
from cnnviz.engine.gifenc import (
    GifPalette,
    GifWriter,
    _fill_runs,
    centisecond_delays,
    encode_frames,
)

COLOURS = np.array(
    [[17, 20, 27], [236, 239, 244], [88, 196, 221], [244, 162, 89], [123, 211, 137], [255, 209, 102]],
    dtype=np.uint8,
)


def moving_box_frames(n: int, w: int = 96, h: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    frame = np.empty((h, w, 3), np.uint8)
    frame[:] = COLOURS[0]
    for i in range(n):
        frame = frame.copy()
        x, y = rng.integers(0, w - 10), rng.integers(0, h - 10)
        frame[y : y + rng.integers(1, 10), x : x + rng.integers(1, 10)] = COLOURS[1 + i % 5]
        yield frame


def distinct(frames):
    out = []
    for f in frames:
        if not out or not np.array_equal(f, out[-1]):
            out.append(f)
    return out


def test_round_trip_pixels_frames_loop_and_duration():
    frames = list(moving_box_frames(40))
    data = encode_frames(frames, 30)
    assert data[:6] == b"GIF89a" and data[-1:] == b";"
    got, durations, info = read_gif(data)
    assert info["loop"] == 0
    expected = distinct(frames)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert np.array_equal(g[..., :3], e)
        assert (g[..., 3] == 255).all()
    # 40 frames at 30 fps = 1.333 s → 133 cs, exact on average
    assert sum(durations) == 1330
    assert set(durations) <= {30, 40}


def test_a_transparent_stretch_takes_its_neighbours_index_only_where_the_screen_shows_it():
    T = 9
    data = np.array([T, 1, T, T, 1, 2, T, T, 3, T, 4, T, T, T], np.uint8)  # T: left as it is on screen
    shown = np.array([1, 1, 1, 1, 1, 2, 5, 5, 3, 4, 4, 4, 4, 0], np.uint8)
    expected = [1, 1, 1, 1, 1, 2, T, T, 3, 4, 4, T, T, T]
    # 0: no pixel before it, and shows 1 as the pixel after it. 2-3: show 1, between two 1s. 6-7:
    # show 5, their neighbours are 2 and 3. 9: shows 4, as the pixel after it. 11-13: not all 4,
    # and nothing after them.
    assert _fill_runs(data, T, shown).tolist() == expected
    assert _fill_runs(data, T, fits=lambda pos, k: shown[pos] == k).tolist() == expected
    assert _fill_runs(data.reshape(2, 7), T, shown.reshape(2, 7)).reshape(-1).tolist() == expected  # rows in scan order
    nothing = np.array([1, T, 2], np.uint8)
    assert _fill_runs(nothing, T, np.array([1, 3, 2], np.uint8)) is nothing
    assert _fill_runs(np.full(4, T, np.uint8), T, np.zeros(4, np.uint8)).tolist() == [T] * 4


def twinkling_square(n: int, w: int = 96, h: int = 64, seed: int = 3):
    """A square of one colour with a random sixth of its pixels in another, drawn anew each frame:
    the pixels that change back to the square's colour are scattered among pixels that already
    show it (left transparent, three symbols in random order; filled, two)."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        frame = np.empty((h, w, 3), np.uint8)
        frame[:] = COLOURS[0]
        frame[12:52, 18:78] = COLOURS[3]
        frame[12:52, 18:78][rng.random((40, 60)) < 1 / 6] = COLOURS[4]
        yield frame


def test_filled_stretches_show_the_same_frames_in_fewer_bytes(monkeypatch):
    """Each image is written both with unchanged pixels transparent and with the stretches that
    show their neighbour's colour filled with it, the smaller kept: the decoded frames are the
    same, and on a twinkling square the file is smaller than all-transparent."""
    frames = list(twinkling_square(20))
    palette = GifPalette.from_frames(frames[::8])
    filled = encode_frames(frames, 30, palette=palette)
    monkeypatch.setattr(gifenc, "_fill_runs", lambda data, T, shown=None, fits=None, **kw: data)
    plain = encode_frames(frames, 30, palette=palette)
    got, durations, _ = read_gif(filled)
    assert [d for d in durations] == read_gif(plain)[1]
    assert len(got) == len(frames)
    for g, f in zip(got, frames):
        assert np.array_equal(g[..., :3], f)
    assert len(filled) < 0.9 * len(plain), (len(filled), len(plain))


def test_frames_are_cropped_to_the_changed_box():
    frames = list(moving_box_frames(10, w=200, h=120))
    data = encode_frames(frames, 15)
    im = Image.open(io.BytesIO(data))
    sizes = []
    for i in range(im.n_frames):
        im.seek(i)
        sizes.append(im.tile[0][1])  # (x0, y0, x1, y1) of the frame's rectangle
    full = (0, 0, 200, 120)
    assert sizes[0] == full
    assert all(box != full and (box[2] - box[0]) <= 10 and (box[3] - box[1]) <= 10 for box in sizes[1:])


def test_identical_frames_are_merged_into_the_previous_delay():
    base = np.zeros((32, 48, 3), np.uint8)
    other = base.copy()
    other[5:10, 5:10] = 200
    seq = [base] * 5 + [other] * 3 + [base] * 2  # 10 frames at 10 fps = 1 s
    data = encode_frames(seq, 10)
    got, durations, _ = read_gif(data)
    assert len(got) == 3
    assert durations == [500, 300, 200]


def test_frames_that_quantise_to_the_same_indices_are_merged():
    a = np.zeros((16, 16, 3), np.uint8)
    b = a.copy()
    b[0, 0] = (1, 0, 0)  # nearest palette colour of (1,0,0) is black
    palette = GifPalette([[0, 0, 0], [255, 255, 255]])
    buf = io.BytesIO()
    with GifWriter(buf, 16, 16, palette) as gif:
        gif.add_frame(a, Fraction(1, 10))
        gif.add_frame(b, Fraction(1, 10))
    assert gif.frames_written == 1 and gif.frames_merged == 1
    _, durations, _ = read_gif(buf.getvalue())
    assert durations == [200]


@pytest.mark.parametrize(
    ("fps", "pattern"),
    [(30, [3, 4, 3]), (15, [7, 6, 7]), (10, [10]), (25, [4]), (60, [2, 3])],
)
def test_centisecond_delays_are_exact_on_average(fps, pattern):
    n = 60
    delays = centisecond_delays(n, fps)
    assert sum(delays) == round(n * 100 / fps)
    assert min(delays) >= 2
    assert delays[: len(pattern)] == pattern


def test_sixty_fps_folds_frames_but_keeps_speed_and_last_frame():
    frames = list(moving_box_frames(60))
    data = encode_frames(frames, 60)
    got, durations, _ = read_gif(data)
    assert sum(durations) == 1000
    assert min(durations) >= 20
    assert np.array_equal(got[-1][..., :3], frames[-1])


class CountingSink:
    """A write-only file that keeps no data (so memory measurements see only the writer)."""

    def __init__(self):
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def test_file_is_written_while_frames_arrive(tmp_path):
    path = tmp_path / "stream.gif"
    frames = list(moving_box_frames(20))
    gif = GifWriter(path, 96, 64, GifPalette(COLOURS))
    gif.add_frame(frames[0], 0.1)
    gif._fp.flush()
    header = path.stat().st_size  # the first frame is held back until its delay is known
    for f in frames[1:]:
        gif.add_frame(f, 0.1)
    gif._fp.flush()
    assert path.stat().st_size > header + 15 * 20  # frames reach the file before close()
    gif.close()
    assert Image.open(path).n_frames == len(distinct(frames))


def test_transparent_frames_round_trip_with_one_bit_alpha():
    rng = np.random.default_rng(3)
    h, w = 48, 64
    frame = np.zeros((h, w, 4), np.uint8)
    frames = []
    for i in range(40):
        frame = frame.copy()
        x, y = rng.integers(0, w - 12), rng.integers(0, h - 12)
        if i % 3 == 2:  # opaque pixels become transparent again: needs "restore to background"
            frame[y : y + 12, x : x + 12] = 0
        else:
            frame[y : y + 12, x : x + 12, :3] = COLOURS[1 + i % 5]
            frame[y : y + 12, x : x + 12, 3] = 255
        frames.append(frame)
    data = encode_frames(frames, 10, transparent=True)
    got, durations, info = read_gif(data)
    expected = distinct(frames)
    assert len(got) == len(expected) and sum(durations) == 4000
    for g, e in zip(got, expected):
        visible = e[..., 3] >= 128
        assert np.array_equal(g[..., 3] > 0, visible)
        assert np.array_equal(g[visible][:, :3], e[visible][:, :3])


def test_palette_maps_to_exact_nearest_colour():
    rng = np.random.default_rng(5)
    colours = rng.integers(0, 256, (200, 3), dtype=np.uint8)
    palette = GifPalette(colours)
    pixels = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    idx = palette.map(pixels)
    d = ((pixels.reshape(-1, 1, 3).astype(int) - colours[None].astype(int)) ** 2).sum(-1)
    assert (d[np.arange(d.shape[0]), idx.reshape(-1)] == d.min(axis=1)).all()
    # palette colours map to themselves
    assert (palette.map(colours[None]) == np.arange(200)).all()


def test_palette_from_many_colours_keeps_dominant_colours_exact():
    h, w = 120, 256
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (17, 20, 27)  # background
    img[:40, :] = np.stack(np.meshgrid(np.arange(w), np.arange(40)), -1)[..., [0, 0, 1]].astype(np.uint8)  # gradient
    img[60:100, 10:200] = (244, 162, 89)  # a fill
    palette = GifPalette.from_frames([img])
    assert len(palette) <= 255
    cols = {tuple(c) for c in palette.colors.tolist()}
    assert (17, 20, 27) in cols and (244, 162, 89) in cols
    err = np.abs(palette.colors[palette.map(img)].astype(int) - img.astype(int)).max()
    assert err <= 16


def test_few_colours_give_an_exact_palette():
    frames = list(moving_box_frames(5))
    palette = GifPalette.from_frames(frames)
    assert {tuple(c) for c in palette.colors.tolist()} <= {tuple(c) for c in COLOURS.tolist()}
    assert palette.transparent_index == len(palette)


def _encode_stream(n: int) -> int:
    """Encode n frames of 320x180 generated on the fly; return tracemalloc's peak (bytes)."""
    palette = GifPalette(COLOURS)
    rng = np.random.default_rng(0)
    tracemalloc.start()
    try:
        with GifWriter(CountingSink(), 320, 180, palette) as gif:
            canvas = np.zeros((180, 320, 3), np.uint8)
            canvas[:] = COLOURS[0]
            for i in range(n):
                canvas = canvas.copy()
                x, y = rng.integers(0, 300), rng.integers(0, 160)
                canvas[y : y + 20, x : x + 20] = COLOURS[1 + i % 5]
                gif.add_frame(canvas, Fraction(1, 30))
                if i == 0:
                    tracemalloc.reset_peak()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_frame_count():
    small = _encode_stream(30)
    large = _encode_stream(300)
    frame = 320 * 180 * 3
    # the palette's lookup table is allocated once; frames must not pile up
    assert large < small + 4 * frame, (small, large)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.integers(0, 12), st.integers(1, 10), st.integers(1, 8), st.integers(0, 5)),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([10, 15, 24, 30, 60]),
)
def test_round_trip_property(edits, fps):
    frame = np.zeros((16, 24, 3), np.uint8)
    frames = [frame]
    for x, y, w, h, c in edits:
        frame = frame.copy()
        frame[y : y + h, x : x + w] = COLOURS[c]
        frames.append(frame)
    data = encode_frames(frames, fps)
    got, durations, info = read_gif(data)
    assert info["loop"] == 0
    exact = 10 * math.floor(len(frames) * 100 / fps + 0.5)
    # exact, except that the last frame lasts at least 2 cs (≤ 1 cs over, only possible at 60 fps)
    assert exact <= sum(durations) <= exact + (10 if fps > 50 else 0)
    assert min(durations) >= 20
    # the last frame shown is the last frame given, and every shown frame is one of the inputs
    assert np.array_equal(got[-1][..., :3], frames[-1])
    inputs = {f.tobytes() for f in frames}
    assert all(np.ascontiguousarray(g[..., :3]).tobytes() in inputs for g in got)


def test_palette_survives_a_dominant_colour_replacing_another_dominant_colour():
    """Regression: with a full palette, dominant colour A (a shade off a big fill B) took B's slot;
    B, dominant too, was still believed to be in the palette and from_frames crashed
    ("True is not in list"). Photos (FeatureDetection*) hit it. Now every dominant colour stays exact."""
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (100, 200, 3), dtype=np.uint8)  # a photo-like spread of colours
    flat, row, dominant = img.reshape(-1, 3), 0, []
    for _ in range(int(rng.integers(3, 12))):  # big fills, each with small fills a shade away
        base = rng.integers(1, 250, 3)
        n = int(rng.integers(200, 3000))
        flat[row:row + n] = base
        row += n
        dominant.append(tuple(int(c) for c in base))
        for _ in range(int(rng.integers(1, 4))):
            m = int(rng.integers(10, 40))
            flat[row:row + m] = base + rng.integers(-2, 3, 3)
            row += m
    palette = GifPalette.from_frames([img])
    cols = {tuple(c) for c in palette.colors.tolist()}
    assert len(palette) <= 255 and set(dominant) <= cols


def test_reserved_colours_stay_exact_however_rare():
    """Small text in a theme colour beside a photo kept its colour only if it covered enough pixels;
    reserved colours (the worker passes the theme's) are exact whenever they occur at all."""
    from cnnviz import theme
    from cnnviz.engine.worker import theme_colours

    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)  # a photo's worth of colours
    green = tuple(int(theme.GREEN[i:i + 2], 16) for i in (1, 3, 5))
    img[5:8, 5:12] = green  # 21 pixels of "G 128"
    cols = lambda p: {tuple(c) for c in p.colors.tolist()}
    assert green not in cols(GifPalette.from_frames([img]))  # too rare to be snapped in
    with_theme = GifPalette.from_frames([img], reserved=theme_colours())
    assert green in cols(with_theme) and len(with_theme) <= 255
    absent = tuple(int(theme.BIAS[i:i + 2], 16) for i in (1, 3, 5))
    assert absent in theme_colours() and absent not in cols(with_theme)  # no slot for what is not there
