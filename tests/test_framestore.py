"""The frame store, the lossless intermediate of GIF and WebP renders (cnnviz.engine.framestore):
every frame comes back bit for bit, and the GIF written from it is the file the QuickTime movie gave."""

from __future__ import annotations

import io
from fractions import Fraction

import numpy as np
import pytest

from cnnviz.engine import framestore
from cnnviz.engine.framestore import (
    FrameStoreEncoder,
    count_frames,
    is_frame_store,
    read_frames,
)
from cnnviz.engine.gifenc import GifPalette, GifWriter, _diff_bbox


def _clip(seed: int, n: int = 40, h: int = 48, w: int = 64):
    """Frames (RGBA) that change in small rectangles, sometimes everywhere, sometimes not at all
    (held pictures), with the repeat counts Manim gives a held frame."""
    rng = np.random.default_rng(seed)
    frame = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    frame[..., 3] = 255
    frames = []
    for i in range(n):
        frame = frame.copy()
        kind = rng.integers(0, 4)
        if kind == 0:  # a small rectangle changes
            y, x = rng.integers(0, h - 4), rng.integers(0, w - 4)
            frame[y:y + rng.integers(1, 5), x:x + rng.integers(1, 5), :3] = rng.integers(0, 256, 3, dtype=np.uint8)
        elif kind == 1:  # one pixel at a corner, or the alpha alone
            frame[h - 1, w - 1, 3 if i % 2 else 0] ^= 0x5A
        elif kind == 2 and i % 7 == 0:  # everything
            frame = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
        elif kind == 3:  # two things at once, far apart: a label at the top, a highlight at the bottom
            frame[0:2, 1:4, :3] ^= 0x33
            frame[h - 3:h - 1, w - 6:w - 2, :3] ^= 0x5C
        frames.append((frame, int(rng.integers(1, 4))))
    return frames


def _write(path, segments, channels):
    parts = []
    for k, seg in enumerate(segments):
        part = path.parent / f"part{k}.bin"
        enc = FrameStoreEncoder(part, seg[0][0].shape[1], seg[0][0].shape[0], Fraction(15), channels=channels)
        for frame, repeat in seg:
            enc.write_frame(frame, repeat=repeat)
        enc.finish()
        parts.append(part)
    path.write_bytes(b"".join(p.read_bytes() for p in parts))


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_frame_comes_back_bit_for_bit(tmp_path, channels, seed):
    clip = _clip(seed)
    segments = [clip[:13], clip[13:14], clip[14:]]  # Manim's segments: one per play or wait
    store = tmp_path / "scene.mov"
    _write(store, segments, channels)
    assert is_frame_store(store)
    expected = [f[..., :channels] for f, r in clip for _ in range(r)]
    got = []
    for run in read_frames(store):
        x0, y0, x1, y1 = run.box
        if got:  # outside the changed rectangle, the picture is the previous one
            outside = np.ones(run.pixels.shape[:2], bool)
            outside[y0:y1, x0:x1] = False
            assert np.array_equal(run.pixels[outside], got[-1][outside])
        got.extend(run.pixels.copy() for _ in range(run.repeat))
        assert run.duration == Fraction(1, 15)
    assert count_frames(store) == len(expected) == len(got)
    for k, (a, b) in enumerate(zip(expected, got)):
        assert np.array_equal(a, b), f"frame {k}"
    # a held picture is one record: fewer records than frames
    assert sum(1 for _ in read_frames(store)) < len(clip)


def _rects_of(store):
    """Every record's rectangles, as the file holds them."""
    with open(store, "rb") as fp:
        return [[box for box, _ in rects] for *_, v1 in framestore._segments(fp)
                for _, rects in framestore._records(fp, v1, data=False)]


def test_two_changes_far_apart_are_two_small_rectangles(tmp_path):
    """A label changing at the top and a highlight at the bottom: the record holds their pixels,
    not the rectangle between them; reading gives the frame back, with their bounding box."""
    a = np.zeros((96, 128, 4), np.uint8)
    a[..., 3] = 255
    b = a.copy()
    b[2:5, 3:9, 0] = 200  # 3×6 near the top left
    b[90:92, 120:124, 1] = 99  # 2×4 near the bottom right
    store = tmp_path / "s"
    _write(store, [[(a, 1), (b, 2)]], 3)
    assert _rects_of(store) == [[(0, 0, 128, 96)], [(3, 2, 9, 5), (120, 90, 124, 92)]]
    runs = list(read_frames(store))
    assert runs[-1].box == (3, 2, 124, 92) == _diff_bbox(a, b)
    assert np.array_equal(runs[-1].pixels, b[..., :3]) and runs[-1].repeat == 2


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("seed", range(6))
def test_changed_rects_cover_every_change_and_no_more_than_the_bands_need(seed, channels):
    """Against a plain loop over the bands: every changed pixel lies in exactly one rectangle, the
    rectangles share no pixel, their bounding box is _diff_bbox's, and together they hold at most
    each band's own box plus MERGE_SLACK per merge."""
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(17, 90)), int(rng.integers(5, 70))
    a = rng.integers(0, 256, (h, w, channels), dtype=np.uint8)
    b = a.copy()
    for _ in range(int(rng.integers(1, 5))):  # a few rectangles change, one channel each
        y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
        b[y:y + int(rng.integers(1, 12)), x:x + int(rng.integers(1, 12)), int(rng.integers(0, channels))] ^= 0x81
    rects = framestore._changed_rects(b, a)
    changed = np.zeros((h, w), int)
    for y in range(h):
        for x in range(w):
            changed[y, x] = any(a[y, x, c] != b[y, x, c] for c in range(channels))
    cover = np.zeros((h, w), int)
    for x0, y0, x1, y1 in rects:
        cover[y0:y1, x0:x1] += 1
    assert cover.max() <= 1 and (cover[changed == 1] == 1).all()
    ys, xs = np.nonzero(changed)
    assert (min(r[0] for r in rects), min(r[1] for r in rects), max(r[2] for r in rects),
            max(r[3] for r in rects)) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == _diff_bbox(b, a)
    band_area, bands = 0, 0
    for top in range(0, h, framestore.BAND_ROWS):
        by, bx = np.nonzero(changed[top:top + framestore.BAND_ROWS])
        if len(by):
            band_area += (by.max() - by.min() + 1) * (bx.max() - bx.min() + 1)
            bands += 1
    assert cover.sum() <= band_area + (bands - len(rects)) * framestore.MERGE_SLACK
    assert framestore._changed_rects(a, a.copy()) == []


def test_a_store_of_the_first_format_is_still_read(tmp_path):
    """One rectangle per record, without a count (b"CNVZFRM1"), an empty one for a held picture."""
    import struct
    import zlib

    a = np.arange(6 * 8 * 3, dtype=np.uint8).reshape(6, 8, 3)
    b = a.copy()
    b[1:3, 2:5] = 7
    head = struct.pack("<8sHHBxII", b"CNVZFRM1", 8, 6, 3, 15, 1)
    rec = struct.Struct("<IHHHHI")
    whole, part = zlib.compress(a.tobytes()), zlib.compress(b[1:3, 2:5].tobytes())
    store = tmp_path / "v1"
    store.write_bytes(head + rec.pack(2, 0, 0, 8, 6, len(whole)) + whole + rec.pack(1, 2, 1, 5, 3, len(part)) + part
                      + rec.pack(0, 0, 0, 0, 0, 0) + head + rec.pack(3, 0, 0, 0, 0, 0) + rec.pack(0, 0, 0, 0, 0, 0))
    assert is_frame_store(store) and count_frames(store) == 6
    got = [(run.pixels.copy(), run.repeat, run.box) for run in read_frames(store)]
    assert [(r, box) for _, r, box in got] == [(2, (0, 0, 8, 6)), (1, (2, 1, 5, 3)), (3, (0, 0, 0, 0))]
    assert np.array_equal(got[0][0], a) and np.array_equal(got[1][0], b) and np.array_equal(got[2][0], b)


def test_rgb_from_an_rgba_store_and_truncation(tmp_path):
    clip = _clip(5, n=8)
    store = tmp_path / "s"
    _write(store, [clip], 4)
    rgb = [run.pixels.copy() for run in read_frames(store, 3) for _ in range(run.repeat)]
    assert all(np.array_equal(a, f[..., :3]) for a, (f, r) in zip(rgb, [c for c in clip for _ in range(c[1])]))
    data = store.read_bytes()
    store.write_bytes(data[:-7])
    with pytest.raises(ValueError, match="truncated"):
        count_frames(store)


def test_write_frame_refuses_what_manim_would_not_send_and_abort_removes_the_file(tmp_path):
    enc = FrameStoreEncoder(tmp_path / "a", 8, 6, Fraction(30))
    with pytest.raises(ValueError, match="repeat"):
        enc.write_frame(np.zeros((6, 8, 4), np.uint8), repeat=0)
    with pytest.raises(ValueError, match=r"\(6, 8, 4\)"):
        enc.write_frame(np.zeros((6, 8, 3), np.uint8))
    enc.abort()
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("transparent", [False, True])
def test_gif_writer_repeat_and_changed_give_the_same_file(tmp_path, transparent):
    """``add_frame(repeat=, changed=)`` (what the store's records give) writes the bytes that one call
    per frame, compared everywhere, writes — also with transparency, where a frame can be folded
    without updating the previous pixels."""
    clip = _clip(11, n=60)
    if transparent:
        for k, (f, _) in enumerate(clip):
            if k % 3 == 0:
                f[10:20, 10:30, 3] = 0  # holes that open and close
    store = tmp_path / "s"
    _write(store, [clip[:25], clip[25:]], 4 if transparent else 3)
    palette = GifPalette.from_frames([f[..., :4 if transparent else 3] for f, _ in clip[::5]])
    h, w = clip[0][0].shape[:2]
    one, runs, rects = io.BytesIO(), io.BytesIO(), io.BytesIO()
    for fps_cs in (Fraction(1, 15), Fraction(1, 60)):  # at 60 fps frames fold (2 cs minimum)
        for buf in (one, runs, rects):
            buf.seek(0), buf.truncate()
        with GifWriter(one, w, h, palette, transparent=transparent) as a:
            for f, r in clip:
                for _ in range(r):
                    a.add_frame(f[..., :4 if transparent else 3], fps_cs)
        with GifWriter(runs, w, h, palette, transparent=transparent) as b:
            for run in read_frames(store):
                b.add_frame(run.pixels, fps_cs, repeat=run.repeat, changed=run.box)
        with GifWriter(rects, w, h, palette, transparent=transparent) as c:  # compared and mapped in the rectangles only
            for run in read_frames(store):
                c.add_frame(run.pixels, fps_cs, repeat=run.repeat, changed=run.rects)
        assert one.getvalue() == runs.getvalue() == rects.getvalue()
        assert (a.frames_in, a.frames_merged, a.frames_folded) == (b.frames_in, b.frames_merged, b.frames_folded) \
            == (c.frames_in, c.frames_merged, c.frames_folded)


def test_a_scene_gives_the_same_gif_through_the_store_and_through_the_movie(monkeypatch):
    """ActivationFunctionStep at 480p15: the GIF from the frame store is byte for byte the GIF from
    Manim's QuickTime RLE movie, and the store is the smaller intermediate."""
    from cnnviz import registry
    from cnnviz.engine import worker

    spec = registry.get("ActivationFunctionStep")
    job = worker.RenderJob(scene=spec.name, module=spec.module_name, quality="l", fmt="gif")
    store = worker.render_scene(job)
    monkeypatch.setattr(worker, "_uses_frame_store", lambda job: False)
    movie = worker.render_scene(job)
    assert store.status == movie.status == "ok", (store.error, movie.error)
    assert store.data == movie.data
    assert store.stats["frames_in"] == movie.stats["frames_in"] > 30
    assert store.stats["intermediate_bytes"] < movie.stats["intermediate_bytes"]


def test_slides_cut_from_the_store_are_the_slides_cut_from_the_movie(monkeypatch):
    """A deck's beats (tests/fixtures/slide_scenes.py:CliBeats): the same index and the same
    posters (each beat's held frame, PNG) whether the render kept a frame store or a movie."""
    import json
    import sys
    from pathlib import Path

    from cnnviz.engine import worker

    monkeypatch.syspath_prepend(str(Path(__file__).parent / "fixtures"))
    sys.modules.pop("slide_scenes", None)
    job = worker.RenderJob(scene="CliBeats", module="slide_scenes", quality="l", kind="slides")
    store = worker.render_scene(job)
    monkeypatch.setattr(worker, "_uses_frame_store", lambda job: False)
    movie = worker.render_scene(job)
    assert store.status == movie.status == "ok", (store.error, movie.error)
    a, b = json.loads(store.data), json.loads(movie.data)
    assert a == b and len(a["beats"]) == 3
    for beat in a["beats"]:
        assert store.files[beat["poster"]] == movie.files[beat["poster"]]
