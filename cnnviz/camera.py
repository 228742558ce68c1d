"""A Manim camera that draws images (photos, digits) and unchanged shapes with the same pixels, for less.

Manim 0.22's ``Camera.display_image_mobject`` does, for every image on every frame: a perspective
transform of the image with PIL, a new transparent image as large as the whole frame, a paste,
and an alpha-composite of the **whole frame**. A photo that does not move pays all of it again on
the next frame (4.6 s of a 20 s render of FeatureDetectionGray at 720p30).

:class:`CnnvizCamera` computes the same transformed image, keeps it while the image's pixels, its
corners on screen and its resampling do not change, and composites it over its own rectangle
only. Outside that rectangle, compositing a fully transparent pixel leaves the frame exactly as it
was (Pillow's integer ``alpha_composite``: source alpha 0 gives the destination, bit for bit), so
the frames are identical to Manim's (``tests/test_camera.py`` checks it pixel by pixel).
"""

from __future__ import annotations

import zlib

import numpy as np
from manim import Camera
from PIL import Image

__all__ = ["CnnvizCamera"]

#: transformed images kept (each at most the frame's size); a scene rarely shows more at once
_KEEP = 32
#: Cairo paths kept (a few hundred bytes each), and point sets remembered as seen once
_KEEP_PATHS = 20_000


class CnnvizCamera(Camera):
    """``Camera`` with a cached, rectangle-only ``display_image_mobject`` (same pixels)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._images: dict[tuple, tuple] = {}
        self._paths: dict[bytes, object] = {}
        self._seen: set[bytes] = set()

    def set_cairo_context_path(self, ctx, vmobject):
        """Manim's path, built once per distinct set of points: a shape that is drawn again unchanged
        (a static grid above a moving one is redrawn on every frame) replays its Cairo path.

        Cairo keeps paths in device space (24.8 fixed point); ``copy_path`` gives them back in user
        space and ``append_path`` maps them through the same matrix, so the pixels are the same.
        A set of points is kept the second time it is drawn: a moving shape never pays the copy.
        The key is the mobject's own points: this camera's ``transform_points_pre_display`` depends on
        nothing else, so it runs only when Manim builds the path (a miss), not on every call."""
        points = vmobject.points
        if len(points) == 0:
            return self
        key = b"%d|" % vmobject.n_points_per_cubic_curve + np.ascontiguousarray(points).tobytes()
        path = self._paths.get(key)
        if path is not None:
            ctx.new_path()
            ctx.append_path(path)
            return self
        super().set_cairo_context_path(ctx, vmobject)
        if key in self._seen:
            if len(self._paths) >= _KEEP_PATHS:
                self._paths.clear()
            self._paths[key] = ctx.copy_path()
        else:
            if len(self._seen) >= _KEEP_PATHS:
                self._seen.clear()
            self._seen.add(key)
        return self

    def _transformed(self, image_mobject, rgba: np.ndarray):
        """(sub-image RGBA array, left, top) exactly as Manim builds it, or None when nothing shows."""
        sub_image = Image.fromarray(rgba, mode="RGBA")
        original_coords = np.array([[0, 0], [sub_image.width, 0], [0, sub_image.height],
                                    [sub_image.width, sub_image.height]])
        target_coords = self.points_to_subpixel_coords(image_mobject, image_mobject.points)
        int_target_coords = target_coords.astype(np.int64)
        shift_vector = np.array([min(*[x for x, y in int_target_coords]), min(*[y for x, y in int_target_coords])])
        target_coords -= shift_vector
        int_target_coords -= shift_vector
        target_size = (max(*[x for x, y in int_target_coords]), max(*[y for x, y in int_target_coords]))
        ordered = [target_coords[i] for i in (0, 1, 3, 2)]
        sides = [ordered[(i + 1) % 4] - ordered[i] for i in range(4)]
        lengths = np.linalg.norm(sides, axis=1)
        k = int(np.argmax(lengths))
        if lengths[k] == 0:
            return None
        longest, previous = sides[k], sides[(k - 1) % 4]
        # Manim measures the height against the previous side twice (its ``next_side`` is the same one)
        height = abs(longest[0] * previous[1] - longest[1] * previous[0]) / lengths[k]
        if height < 0.5:
            return None
        rows = []
        for (x, y), (X, Y) in zip(target_coords, original_coords, strict=True):
            rows.append([x, y, 1, 0, 0, 0, -X * x, -X * y])
            rows.append([0, 0, 0, x, y, 1, -Y * x, -Y * y])
        try:
            coefficients = np.linalg.solve(np.array(rows, dtype=np.float64), original_coords.reshape(8).astype(np.float64))
        except np.linalg.LinAlgError:
            return None
        sub = sub_image.transform(size=target_size, method=Image.Transform.PERSPECTIVE, data=coefficients,
                                  resample=image_mobject.resampling_algorithm)
        return np.asarray(sub), int(shift_vector[0]), int(shift_vector[1])

    def display_image_mobject(self, image_mobject, pixel_array: np.ndarray) -> None:
        rgba = np.ascontiguousarray(image_mobject.get_pixel_array())
        points = self.transform_points_pre_display(image_mobject, image_mobject.points)
        key = (id(image_mobject), rgba.shape, rgba.dtype.str, zlib.adler32(rgba.data), points.tobytes(),
               np.asarray(self.frame_center).tobytes(), self.frame_width, self.frame_height,
               self.pixel_width, self.pixel_height, int(image_mobject.resampling_algorithm))
        found = self._images.get(key)
        if found is None:
            found = self._transformed(image_mobject, rgba)
            if len(self._images) >= _KEEP:
                self._images.pop(next(iter(self._images)))
            self._images[key] = found
        if found is None:
            return
        sub, left, top = found
        h, w = sub.shape[:2]
        # the part of the image's rectangle inside the frame (Manim's paste clips the same way)
        x0, y0 = max(left, 0), max(top, 0)
        x1, y1 = min(left + w, self.pixel_width), min(top + h, self.pixel_height)
        if x0 >= x1 or y0 >= y1:
            return
        region = pixel_array[y0:y1, x0:x1]
        over = sub[y0 - top:y1 - top, x0 - left:x1 - left]
        composed = Image.alpha_composite(Image.fromarray(np.ascontiguousarray(region), mode=self.image_mode),
                                         Image.fromarray(np.ascontiguousarray(over), mode="RGBA"))
        region[:] = np.asarray(composed, dtype="uint8")
