"""``CnnvizCamera`` draws images with exactly the pixels of Manim's own ``Camera``.

The same frames are drawn by both cameras, image by image: a photo at rest, moved, scaled,
rotated (a perspective transform), faded (its alpha changes), partly out of the frame, a grey
digit over a coloured square, and an image drawn twice in a row (the cached path).
"""

from __future__ import annotations

import numpy as np
import pytest
from manim import Camera, ImageMobject, Square, tempconfig

from cnnviz import images
from cnnviz.camera import CnnvizCamera
from cnnviz.drawings import PixelImage


def _frames(camera_cls, steps):
    with tempconfig({"quality": "low_quality", "disable_caching": True}):
        cam = camera_cls()
        out = []
        for mobjects in steps:
            cam.reset()
            cam.capture_mobjects(mobjects)
            out.append(cam.pixel_array.copy())
        if camera_cls is CnnvizCamera and len(steps) > 2 and steps[0] is steps[2]:
            assert cam._paths, "the third drawing of the same shapes should replay cached paths"
        return out


def _steps():
    rng = np.random.default_rng(3)
    photo = ImageMobject(rng.integers(0, 256, (40, 60, 4), dtype=np.uint8))
    photo.pixel_array[..., 3] = 255
    photo.set_resampling_algorithm(0)
    photo.height = 3
    square = Square(2).set_fill("#F4A259", 0.8)
    digit = PixelImage(images.digit(5), height=2.5).shift([-3, 0, 0])
    steps = [[photo], [photo]]  # the same picture twice: the second is drawn from the cache
    moved = photo.copy().shift([2.3, -1.1, 0])
    scaled = photo.copy().scale(1.37)
    rotated = photo.copy().rotate(0.4)
    faded = photo.copy()
    faded.pixel_array = faded.pixel_array.copy()
    faded.pixel_array[..., 3] = 101
    edge = photo.copy().move_to([7.0, 3.6, 0])  # partly outside the frame
    outside = photo.copy().move_to([20, 0, 0])
    steps += [[moved], [scaled], [rotated], [square, faded], [edge], [outside], [square, digit], [photo, moved, digit]]
    return steps


def test_images_are_drawn_with_manims_pixels():
    steps = _steps()
    ours, manims = _frames(CnnvizCamera, steps), _frames(Camera, steps)
    for k, (a, b) in enumerate(zip(ours, manims)):
        assert a.shape == b.shape
        assert np.array_equal(a, b), f"step {k}: {np.count_nonzero(np.any(a != b, axis=-1))} pixels differ"
    assert any(np.any(f[..., :3] != f[0, 0, :3]) for f in ours)  # the frames show something


def test_a_changed_picture_is_drawn_anew():
    """The cache key holds the pixels: an image whose pixels change in place is not drawn stale."""
    img = ImageMobject(np.zeros((10, 10, 4), dtype=np.uint8) + 255)
    img.height = 2
    with tempconfig({"quality": "low_quality", "disable_caching": True}):
        cam = CnnvizCamera()
        cam.capture_mobjects([img])
        first = cam.pixel_array.copy()
        img.pixel_array[..., :3] = 0  # black, in place
        cam.reset()
        cam.capture_mobjects([img])
        assert not np.array_equal(first, cam.pixel_array)


@pytest.mark.parametrize("scene_name", ["FeatureDetectionGray"])
def test_scenes_use_the_camera(scene_name):
    from cnnviz import registry

    cls = next(s for s in registry.CATALOG if s.name == scene_name).load()
    with tempconfig({"quality": "low_quality", "disable_caching": True, "dry_run": True}):
        assert isinstance(cls().camera, CnnvizCamera)


def test_shapes_and_texts_are_drawn_with_manims_pixels():
    """Paths replayed from the cache (the second and third time the same shapes are drawn) give
    Manim's pixels: texts, a formula, a value grid, arrows, a moved and a scaled copy."""
    from manim import Arrow, Text

    from cnnviz.drawings import ValueGrid
    from cnnviz.formula import Formula

    grid = ValueGrid(np.arange(9).reshape(3, 3), cell_size=0.8).shift([-3, 0, 0])
    text = Text("feature map 3×3", font_size=30).shift([2, 2, 0])
    formula = Formula(r"\frac{N-F+2P}{S}+1").shift([2, -1, 0])
    arrow = Arrow([-1, 0, 0], [1, 0.5, 0])
    scene = [grid, text, formula, arrow]
    steps = [scene, scene, scene, [grid.copy().shift([0.37, 0.11, 0]), text.copy().scale(1.3), formula, arrow]]
    ours, manims = _frames(CnnvizCamera, steps), _frames(Camera, steps)
    for k, (a, b) in enumerate(zip(ours, manims)):
        assert np.array_equal(a, b), f"step {k}: {np.count_nonzero(np.any(a != b, axis=-1))} pixels differ"


@pytest.mark.parametrize("scene_name", ["ActivationFunctionStep", "RealGrayscaleToMatrixV2"])
def test_scenes_render_the_same_frames_with_and_without_the_frame_caches(scene_name, monkeypatch):
    """A diagram scene and a photo scene, rendered with the frame caches (the text memo, CnnvizCamera)
    and without them (``CNNVIZ_FRAME_CACHES=0``: Manim's Camera, every Text built anew): the lossless
    frames are the same, every one of them."""
    import hashlib

    from cnnviz import registry
    from cnnviz import texts as drawings
    from cnnviz.engine import worker

    spec = registry.get(scene_name)
    seen: dict[str, list[str]] = {}

    def frames_of(src, dst, **kw):  # instead of encoding a GIF: each lossless frame's hash
        seen[mode] = [hashlib.sha256(arr.tobytes()).hexdigest() for arr, _ in worker._decode(src, "rgb24")]
        dst.write_bytes(b"GIF89a")
        return {}

    monkeypatch.setattr(worker, "video_to_gif", frames_of)
    monkeypatch.setattr(drawings, "_TEXTS", drawings.OrderedDict())
    for mode in ("0", "1", "1 again"):  # "1 again": every Text now comes from the memo
        monkeypatch.setenv("CNNVIZ_FRAME_CACHES", mode[0])
        result = worker.render_scene(worker.RenderJob(scene=spec.name, module=spec.module_name, quality="l"))
        assert result.status == "ok", result.error + result.traceback
    assert len(seen["0"]) > 30
    for mode in ("1", "1 again"):
        differ = [k for k, (a, b) in enumerate(zip(seen["0"], seen[mode])) if a != b]
        assert len(seen[mode]) == len(seen["0"]) and not differ, f"caches {mode}: frames {differ[:10]} differ"
