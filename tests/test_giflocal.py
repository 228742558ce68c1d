"""``--gif-colors per-frame``: cnnviz/engine/giflocal.py, checked with Pillow's GIF decoder."""

from __future__ import annotations

import io
import math
import shutil
from fractions import Fraction

import numpy as np
import pytest
from helpers import read_gif
from PIL import Image

from cnnviz.engine import giflocal
from cnnviz.engine.gifenc import GifPalette, GifWriter
from cnnviz.engine.giflocal import (
    PER_FRAME_DB,
    LocalTableGifWriter,
    local_table,
    retry_tolerances,
)


def shown_at_frames(data: bytes, n: int, fps: int) -> list[np.ndarray]:
    """The GIF's picture at the start of each of ``n`` frames at ``fps`` (what a viewer sees)."""
    frames, durations, _ = read_gif(data)
    frames = [f[..., :3] for f in frames]
    starts = np.cumsum([0, *durations[:-1]])
    out = []
    for k in range(n):
        t = 10 * math.floor(Fraction(k * 100, fps) + Fraction(1, 2))  # its start, rounded to the centisecond
        out.append(frames[int(np.searchsorted(starts, t + 1e-6, side="right")) - 1])
    return out


def psnr(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    mse = np.mean([((x.astype(np.float64) - y) ** 2).mean() for x, y in zip(a, b)])
    return 99.0 if mse == 0 else float(10 * np.log10(255**2 / mse))


def _photo(name: str, h: int, w: int) -> np.ndarray:
    from cnnviz.images import photo_path

    with Image.open(photo_path(name)) as im:
        return np.asarray(im.convert("RGB").resize((w, h), Image.Resampling.BILINEAR), float)


def photo_fade(n: int, h: int = 72, w: int = 96) -> list[np.ndarray]:
    """Two photos (thousands of colours each) on a canvas twice their size, as a scene shows them
    among diagrams: the cat fades in over the dark background and holds, then the astronaut
    fades in over it and holds; ``n`` frames."""
    bg = np.full((h, w, 3), [17, 20, 27], float)
    cat, astronaut = _photo("chelsea", h, w), _photo("astronaut", h, w)
    q = max(n // 4, 1)
    frames = []
    for k in range(n):
        a, b = min(1.0, k / q), min(1.0, max(0.0, (k - 2 * q) / q))
        canvas = np.empty((2 * h, 2 * w, 3), np.uint8)
        canvas[:] = bg[0, 0]
        canvas[h // 2 : h // 2 + h, w // 2 : w // 2 + w] = np.clip(
            np.round(bg + a * (cat - bg) + b * (astronaut - cat)), 0, 255)
        frames.append(canvas)
    return frames


def encode(frames, fps, writer=LocalTableGifWriter, palette=None, **kw) -> bytes:
    buf = io.BytesIO()
    palette = palette or GifPalette.from_frames(frames[:: max(1, len(frames) // 8)])
    h, w = frames[0].shape[:2]
    with writer(buf, w, h, palette, **kw) as gif:
        for f in frames:
            gif.add_frame(f, Fraction(1, fps))
    return buf.getvalue()


def test_photos_fading_and_held_get_their_colours_where_a_shared_palette_cannot():
    frames = photo_fade(40)
    assert len(np.unique(np.concatenate([f.reshape(-1, 3) for f in frames]), axis=0)) > 10_000
    ours = shown_at_frames(encode(frames, 30), 40, 30)
    shared = shown_at_frames(encode(frames, 30, writer=GifWriter), 40, 30)
    p_ours, p_shared = psnr(ours, frames), psnr(shared, frames)  # measured: 48.5 and 41.0 dB
    assert p_ours >= 47 and p_ours >= p_shared + 6, (p_ours, p_shared)
    # while a photo is held, each frame mends what is still wrong: the last frame (the astronaut
    # held for 10 frames) is at about 50 dB, the shared palette's stays at 38 dB
    assert psnr(ours[-1:], frames[-1:]) >= 49
    assert psnr(shared[-1:], frames[-1:]) < 40


def test_frames_of_at_most_255_colours_come_back_exact_though_the_scene_has_thousands():
    rng = np.random.default_rng(3)
    frames = []
    for k in range(12):  # each frame: 200 colours of its own, on blocks of 4×4 pixels
        colours = rng.integers(0, 256, (200, 3), dtype=np.uint8)
        blocks = colours[rng.integers(0, 200, (10, 15))]
        frames.append(np.repeat(np.repeat(blocks, 4, axis=0), 4, axis=1))
    got = shown_at_frames(encode(frames, 10), 12, 10)
    for g, f in zip(got, frames):
        assert np.array_equal(g, f)


def test_timing_is_the_shared_writers():
    """Delays are whole centiseconds, exact on average; 60 fps folds frames at 2 cs and still
    shows the last frame."""
    frames = photo_fade(60, h=24, w=32)
    for fps, total in ((30, 200), (60, 100)):
        _, durations, _ = read_gif(encode(frames, fps))
        _, shared, _ = read_gif(encode(frames, fps, writer=GifWriter))
        assert sum(durations) == sum(shared) == total * 10
        assert min(durations) >= 20
    got = shown_at_frames(encode(frames, 60), 60, 60)
    assert np.abs(got[-1].astype(int) - frames[-1]).max() <= 3


def test_60_fps_frames_show_on_time_not_one_late_after_another():
    """At 60 fps one frame in three starts 1 cs after the one before, under the 2 cs minimum: it
    is folded into the next, as with the shared palette, rather than delayed (which delayed the
    next frame too, until every frame showed late)."""
    frames = []
    for k in range(30):  # a bar moving one step per frame: every frame differs
        f = np.zeros((8, 40, 3), np.uint8)
        f[:, k : k + 6] = (240, 200, 60)
        frames.append(f)
    shown = shown_at_frames(encode(frames, 60), 30, 60)
    on_time = sum(np.array_equal(g, f) for g, f in zip(shown, frames))
    shared = shown_at_frames(encode(frames, 60, writer=GifWriter), 30, 60)
    assert on_time >= 19 and on_time >= sum(np.array_equal(g, f) for g, f in zip(shared, frames)), on_time


def test_repeat_writes_what_separate_calls_write():
    frames = photo_fade(12, h=40, w=48)
    palette = GifPalette.from_frames(frames)
    runs = [(frames[1], 3), (frames[2], 1), (frames[9], 4)]
    one, each = io.BytesIO(), io.BytesIO()
    with LocalTableGifWriter(one, 96, 80, palette) as a, LocalTableGifWriter(each, 96, 80, palette) as b:
        for f, r in runs:
            a.add_frame(f, Fraction(1, 15), repeat=r)
            for _ in range(r):
                b.add_frame(f, Fraction(1, 15))
    assert one.getvalue() == each.getvalue()
    assert a.frames_in == b.frames_in == 8
    assert 3 < a.frames_written < 8  # held frames mended what was left, then were merged


def test_the_changed_rectangle_saves_work_not_pixels():
    """A frame store gives each frame's changed rectangle; the writer keeps its error map up to date
    inside it only. The file must be the one written from whole frames, and a frame changed in
    place (the same array given again) must still be seen."""
    from cnnviz.engine.framestore import _changed_rects
    from cnnviz.engine.gifenc import _diff_bbox

    frames = photo_fade(16, h=40, w=48)[:12]  # the astronaut fading in over the cat, then a square:
    for k in range(12, 18):  # it moves over the photo (as a kernel does) and stops, far from where
        f = frames[11].copy()  # the fade left pixels off by up to the tolerance
        f[4 + 2 * k : 16 + 2 * k, 5 * k - 50 : 5 * k - 38] = (250, 200, 40)
        f[76:80, 84:96] = (40, 10 * k, 200)  # and a counter far from it, changed with it
        frames.append(f)
    palette = GifPalette.from_frames(frames)
    whole, boxed, rects = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with (LocalTableGifWriter(whole, 96, 80, palette, tolerance=100) as a,
          LocalTableGifWriter(boxed, 96, 80, palette, tolerance=100) as b,
          LocalTableGifWriter(rects, 96, 80, palette, tolerance=100) as c):
        shared = frames[0].copy()  # one array, changed in place between calls, as a renderer's buffer is
        for k, f in enumerate(frames):
            box = None if k == 0 else _diff_bbox(f, frames[k - 1])
            shared[:] = f
            repeat = 6 if k == len(frames) - 1 else 1  # held at the end: mended everywhere
            a.add_frame(f, Fraction(1, 15), repeat=repeat)
            b.add_frame(shared, Fraction(1, 15), repeat=repeat, changed=box if box is not None else (0, 0, 0, 0))
            # the frame store's rectangles (bands of 16 rows): the square and what the fade left apart
            c.add_frame(shared, Fraction(1, 15), repeat=repeat, changed=None if k == 0 else _changed_rects(f, frames[k - 1]))
    assert whole.getvalue() == boxed.getvalue() == rects.getvalue()
    assert abs(a.psnr_db - b.psnr_db) < 1e-9 and a.frames_written == b.frames_written == c.frames_written > 12
    last = read_gif(whole.getvalue())[0][-1][..., :3].astype(int) - frames[-1]
    assert (last**2).sum(axis=2).max() <= giflocal.HOLD_TOLERANCE  # the hold mended the fade's pixels too


def test_a_moving_picture_is_left_within_tolerance_and_a_held_one_mended():
    """While the picture moves, pixels off by at most ``tolerance`` (24) stay as they are; once it
    is held (the same frame again), each repeat mends down to ``hold_tolerance`` (6)."""
    rng = np.random.default_rng(5)
    levels = rng.integers(40, 200, (6, 8, 1)).repeat(3, axis=2)  # 48 greys in 4×4 blocks
    base = np.repeat(np.repeat(levels, 4, axis=0), 4, axis=1).astype(np.uint8)
    drift = [base, base + 2, base + 4]  # each step is off by 2 in every channel: squared error 12
    fps = 10

    def shown(**kw):
        buf = io.BytesIO()
        with LocalTableGifWriter(buf, 32, 24, GifPalette.from_frames([base]), **kw) as gif:
            for f in drift:
                gif.add_frame(f, Fraction(1, fps))
            gif.add_frame(drift[-1], Fraction(1, fps), repeat=2)  # then held
        return shown_at_frames(buf.getvalue(), 5, fps)

    got = shown()
    assert np.array_equal(got[1], base)  # 12 <= 24: the moving frame leaves it
    assert np.array_equal(got[2], base + 4)  # 48 > 24: written (48 greys: their exact colours)
    assert np.array_equal(got[4], base + 4)
    strict = shown(tolerance=6)
    assert np.array_equal(strict[1], base + 2)  # 12 > 6: written
    held = shown(tolerance=100, hold_tolerance=6)
    assert np.array_equal(held[2], base) and np.array_equal(held[3], base + 4)  # mended once held


@pytest.mark.parametrize("fps", [30, 60])
def test_the_writer_measures_the_psnr_a_viewer_sees(fps):
    """psnr_db, measured while writing, is the PSNR of the decoded GIF against the frames given,
    each at its start: with holds (repeats, some merged) and, at 60 fps, frames that wait or fold."""
    frames = photo_fade(24, h=30, w=40)
    runs = [(f, 1) for f in frames[:8]] + [(frames[8], 5)] + [(f, 1) for f in frames[9:20]] + [(frames[20], 6)]
    buf = io.BytesIO()
    with LocalTableGifWriter(buf, 80, 60, GifPalette.from_frames(frames), tolerance=100) as gif:
        for f, r in runs:
            gif.add_frame(f, Fraction(1, fps), repeat=r)
    given = [f for f, r in runs for _ in range(r)]
    decoded = psnr(shown_at_frames(buf.getvalue(), len(given), fps), given)
    assert gif.frames_in == len(given) and gif.frames_merged > 0
    if fps == 60:
        assert gif.frames_folded > 0
    assert abs(gif.psnr_db - decoded) < 1e-6, (gif.psnr_db, decoded)
    if fps == 30:  # no frame waits: the colours are all there is
        assert gif.colour_psnr_db == gif.psnr_db
    else:  # frames shown late are left out of the colours' figure
        assert gif.colour_psnr_db > gif.psnr_db + 0.5, (gif.colour_psnr_db, gif.psnr_db)


def test_stretches_left_as_they_are_are_filled_where_that_is_no_worse(monkeypatch):
    """A stretch of pixels left as they are takes its neighbour's index where that colour is no
    further from the frame than the screen, and each image keeps the smaller of the two writings:
    exact colours stay exact (the same frames come back) in fewer bytes; on photos the PSNR the
    writer measures is still the decoded one."""
    from test_gifenc import twinkling_square

    frames = list(twinkling_square(20))
    filled = encode(frames, 30)
    monkeypatch.setattr(giflocal, "_fill_runs", lambda data, T, shown=None, fits=None, **kw: data)
    plain = encode(frames, 30)
    assert len(filled) < 0.9 * len(plain), (len(filled), len(plain))
    got = shown_at_frames(filled, len(frames), 30)
    assert all(np.array_equal(g, f) for g, f in zip(got, frames))
    monkeypatch.undo()

    photos = photo_fade(24, h=30, w=40)
    buf = io.BytesIO()
    with LocalTableGifWriter(buf, 80, 60, GifPalette.from_frames(photos), tolerance=100) as gif:
        for f in photos:
            gif.add_frame(f, Fraction(1, 30))
    assert abs(gif.psnr_db - psnr(shown_at_frames(buf.getvalue(), len(photos), 30), photos)) < 1e-6


def test_retries_guess_leniently_then_carefully_then_fall_back_to_the_hold_tolerance():
    # 1.72 dB short (FeatureDetectionRGB at 720p30): 100 / 2^(1.72 / 1.5) = 45.2, 100 / 2^1.72 = 30.4
    assert retry_tolerances(48.28) == [45, 30, 6]
    # 0.86 dB short (FeatureDetectionGray): 100 / 2^(0.86 / 1.5) = 67.2, then at least one halving: 50
    assert retry_tolerances(49.14) == [67, 50, 6]
    assert retry_tolerances(49.99) == [99, 50, 6]  # a hair short: nearly 100 first
    assert retry_tolerances(42.0) == [6]  # 100 / 2^5.3 and 100 / 2^8 are below 6
    assert retry_tolerances(47.0, tolerance=10) == [6]  # 10 / 2^2 = 2.5: below 6
    assert retry_tolerances(50.0) == retry_tolerances(55.0) == []  # not short
    assert retry_tolerances(40.0, tolerance=6) == []  # nothing below the hold tolerance


def test_a_hold_longer_than_655_s_is_split():
    frames = photo_fade(4, h=8, w=8)
    data = encode([frames[0], frames[3]], Fraction(1, 700))
    _, durations, _ = read_gif(data)
    assert sum(durations) == 1_400_000


def test_local_table_is_exact_for_few_colours_and_nearest_otherwise():
    few = np.array([[1, 2, 3], [4, 5, 6], [1, 2, 3]], np.uint8)
    table, idx = local_table(few)
    assert np.array_equal(table[idx], few)
    many = np.random.default_rng(1).integers(0, 256, (5000, 3), dtype=np.uint8)
    table, idx = local_table(many)
    assert len(table) <= 255
    d = ((many[:, None, :].astype(int) - table[None].astype(int)) ** 2).sum(axis=2)
    assert np.array_equal(d[np.arange(len(many)), idx], d.min(axis=1))  # every colour at its nearest entry


def test_bad_frames_and_transparent_gifs_are_refused(tmp_path):
    from cnnviz.engine import worker

    palette = GifPalette([[0, 0, 0]])
    with LocalTableGifWriter(io.BytesIO(), 8, 8, palette) as gif:
        with pytest.raises(ValueError, match="repeat"):
            gif.add_frame(np.zeros((8, 8, 3), np.uint8), 0.1, repeat=0)
        with pytest.raises(ValueError, match="frame must be"):
            gif.add_frame(np.zeros((8, 9, 3), np.uint8), 0.1)
    with pytest.raises(ValueError, match="opaque"):
        worker.video_to_gif(tmp_path / "x.store", tmp_path / "x.gif", transparent=True, colors="per-frame")
    with pytest.raises(ValueError, match="colors must be"):
        worker.video_to_gif(tmp_path / "x.store", tmp_path / "x.gif", colors="many")


def test_options_key_per_frame_apart_and_keep_earlier_keys():
    from cnnviz.engine.plan import Options

    assert "gif_colors" not in Options().as_dict()  # earlier renders keep their keys
    assert Options(gif_colors="per-frame").as_dict()["gif_colors"] == "per-frame"
    assert Options(gif_colors="auto").as_dict()["gif_colors"] == "auto"


@pytest.mark.slow
def test_a_photo_scene_gets_its_colours(monkeypatch, tmp_path):
    """FeatureDetectionRGB at 480p15 against its lossless frames (the frame store): about 39 dB with
    the shared palette, at least PER_FRAME_DB per frame, as the writer measured it."""
    from cnnviz import registry
    from cnnviz.engine import worker
    from cnnviz.engine.framestore import read_frames

    kept = tmp_path / "scene.store"
    encode_gif = worker.video_to_gif

    def keep(src, dst, **kw):
        shutil.copy(src, kept)
        return encode_gif(src, dst, **kw)

    monkeypatch.setattr(worker, "video_to_gif", keep)
    spec = registry.get("FeatureDetectionRGB")
    r = worker.render_scene(worker.RenderJob(scene=spec.name, module=spec.module_name, quality="l", fmt="gif",
                                             gif_colors="per-frame"))
    assert r.status == "ok", r.error
    assert r.stats["local_tables"] > 100
    shared = tmp_path / "shared.gif"
    encode_gif(kept, shared)

    def scene_psnr(data: bytes) -> float:  # streaming: the GIF's picture at each frame's start
        im = Image.open(io.BytesIO(data))
        sq, n, k, end, shown = 0.0, 0, -1, 0.0, None
        for run in read_frames(kept, 3):
            for _ in range(run.repeat):
                t = 10 * math.floor(Fraction(n * 100, 15) + Fraction(1, 2))
                while k + 1 < im.n_frames and end <= t + 1e-6:
                    k += 1
                    im.seek(k)
                    shown, end = np.asarray(im.convert("RGB")).astype(np.float64), end + im.info["duration"]
                sq += ((run.pixels - shown) ** 2).mean()
                n += 1
        return float(10 * np.log10(255**2 * n / sq))

    p_ours, p_shared = scene_psnr(r.data), scene_psnr(shared.read_bytes())
    assert p_ours >= PER_FRAME_DB and p_shared <= 41, (p_ours, p_shared)
    assert abs(r.stats["gif_psnr_db"] - p_ours) < 0.01, (r.stats, p_ours)  # the writer measured what Pillow decodes
    assert r.stats["gif_colour_psnr_db"] == r.stats["gif_psnr_db"], r.stats  # 15 fps: no frame waits
    assert r.stats["gif_tolerance"] < 100 and r.stats["gif_passes"] >= 2, r.stats  # 100 alone falls short here
    assert len(r.data) <= 1.5 * shared.stat().st_size


def test_the_palette_psnr_is_that_of_the_samples_at_their_nearest_colours():
    palette = GifPalette([[0, 0, 0], [255, 255, 255]])
    grey = np.full((4, 4, 3), 100, np.uint8)  # nearest black: off by 100 in each channel
    assert palette.psnr_db([grey]) == pytest.approx(10 * math.log10(255**2 / 100**2))
    half = np.zeros((2, 2, 4), np.uint8)
    half[0] = (100, 100, 100, 255)  # the transparent row (alpha 0) shows no colour: not counted
    assert palette.psnr_db([half]) == pytest.approx(10 * math.log10(255**2 / 100**2))
    assert palette.psnr_db([np.zeros((3, 3, 3), np.uint8)]) == math.inf


def _store(path, frames, fps=15, channels=3):
    """A frame store of the RGB ``frames`` (as Manim gives them: RGBA, opaque)."""
    from cnnviz.engine.framestore import FrameStoreEncoder

    h, w = frames[0].shape[:2]
    enc = FrameStoreEncoder(path, w, h, Fraction(fps), channels=channels)
    for f in frames:
        enc.write_frame(np.ascontiguousarray(np.dstack([f, np.full((h, w), 255, np.uint8)])))
    enc.finish()
    return path


@pytest.mark.parametrize("transparent", [False, True])
def test_auto_gives_per_frame_colours_to_a_photo_and_the_shared_palette_to_a_diagram(tmp_path, transparent):
    from cnnviz.engine import worker

    photo = np.zeros((48, 64, 3), np.uint8)  # a photo of 768 random colours on a quarter of the frame
    photo[12:36, 16:48] = np.random.default_rng(3).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    fade = [np.round(photo / 2).astype(np.uint8)] + [photo] * 45  # half-way in, then held 3 s
    diagram = []
    for k in range(6):
        f = np.zeros((48, 64, 3), np.uint8)
        f[8:20, 4 + 6 * k: 16 + 6 * k] = (255, 200, 0)  # a square moving on the background
        diagram.append(f)
    made = {}
    for name, frames in (("photo", fade), ("diagram", diagram)):  # a transparent GIF keeps the shared palette
        src = _store(tmp_path / f"{name}.store", frames, channels=4 if transparent else 3)
        made[name] = worker.video_to_gif(src, tmp_path / f"{name}.gif", colors="auto", transparent=transparent)
    assert made["photo"]["palette_psnr_db"] < worker.AUTO_PER_FRAME_BELOW_DB <= made["diagram"]["palette_psnr_db"]
    assert made["diagram"]["gif_colors_used"] == "shared" and "gif_tolerance" not in made["diagram"]
    if transparent:
        assert made["photo"]["gif_colors_used"] == "shared"
    else:
        assert made["photo"]["gif_colors_used"] == "per-frame" and "gif_tolerance" in made["photo"]
        shared = worker.video_to_gif(tmp_path / "photo.store", tmp_path / "shared.gif", colors="shared")
        assert shared["gif_colors_used"] == "shared"
        held = [[f[..., :3] for f in read_gif((tmp_path / gif).read_bytes())[0]][-1:] for gif in ("photo.gif", "shared.gif")]
        assert psnr(held[0], fade[-1:]) > psnr(held[1], fade[-1:]) + 10  # the photo held at the end, as Pillow decodes it
