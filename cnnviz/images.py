"""Real pictures as arrays: the course's photos, cropped and downsampled, and a handwritten-style digit.

Pillow + NumPy only (no Manim), so data functions and tests use it freely.
Every pixel value a scene shows comes from here, and a test can recompute it
with NumPy straight from the file:

* :func:`photo` crops a photo of ``cnnviz/assets`` (or a teacher's own PNG/JPEG file,
  checked first by :func:`check_photo_file`) and shrinks it by an
  integer ``factor`` with Pillow's ``Image.reduce`` — each output pixel is the
  rounded mean of a ``factor×factor`` block of the crop (box filter), which
  NumPy reproduces exactly (``block.mean()`` rounded half up);
* :func:`digit` draws a 28×28 MNIST-like digit procedurally (MNIST's recipe:
  strokes drawn large, anti-aliased by downsampling into a 20×20 box, placed
  in 28×28 by centre of mass). No file, nothing downloaded.

Arrays are ``uint8``: ``(H, W)`` for grayscale (``mode="L"``), ``(H, W, 3)``
for colour (``mode="RGB"``), channels last like :mod:`cnnviz.core`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parent / "assets"
PHOTOS = ("chelsea", "camera", "astronaut")  # the files of ASSETS, without ".png"
MODES = ("L", "RGB")


#: the formats a photo file may have (Pillow's names)
PHOTO_FORMATS = ("PNG", "JPEG")


def photo_path(name: str) -> Path:
    """The file of photo ``name`` (one of :data:`PHOTOS`)."""
    if name not in PHOTOS:
        raise ValueError(f"unknown photo {name!r}: choose one of {', '.join(PHOTOS)}")
    return ASSETS / f"{name}.png"


def is_builtin(name_or_path) -> bool:
    """Whether ``name_or_path`` names one of the course's photos (not a file)."""
    return isinstance(name_or_path, str) and name_or_path in PHOTOS


def photo_name(name_or_path) -> str:
    """How a photo is named on screen: a built-in photo's name, or a file's name without its folder
    and extension (``/home/ada/cat.png`` → ``cat``)."""
    return name_or_path if is_builtin(name_or_path) else Path(name_or_path).stem


def _open_checked(path: Path) -> Image.Image:
    """``path`` opened and fully decoded, or one clear ``ValueError``: missing, not a file, not a
    PNG/JPEG, damaged, or larger than Pillow's pixel limit (a decompression bomb)."""
    import warnings

    shown = path.name
    if not path.exists():
        raise ValueError(f"{shown}: no such file ({path})")
    if not path.is_file():
        raise ValueError(f"{path} is not a file (a folder?): give a PNG or JPEG file")
    limit = Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
            try:
                if im.format not in PHOTO_FORMATS:
                    raise ValueError(f"{shown} is a {im.format} image: give a PNG or JPEG file")
                im.load()
            except BaseException:
                im.close()
                raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(f"{shown} has more pixels than Pillow's safety limit of {limit:,} "
                         "(a decompression bomb?): give a smaller image") from None
    except ValueError:
        raise
    except Image.UnidentifiedImageError:
        raise ValueError(f"{shown} is not an image (not a PNG or JPEG file Pillow can read)") from None
    except (OSError, SyntaxError, EOFError) as exc:  # truncated or corrupt data (Pillow raises these)
        raise ValueError(f"{shown} cannot be decoded as an image ({exc})") from None
    return im


def check_photo_file(path) -> tuple[int, int]:
    """(width, height) of a PNG/JPEG file a scene may take as its photo; ``ValueError`` (one line)
    for a missing file, a non-image, a file that does not decode, or a decompression bomb."""
    with _open_checked(Path(path)) as im:
        return im.size


def photo_size(name_or_path) -> tuple[int, int]:
    """(width, height) of a built-in photo or of a PNG/JPEG file (checked as :func:`photo` does)."""
    if is_builtin(name_or_path):
        with Image.open(photo_path(name_or_path)) as im:
            return im.size
    if isinstance(name_or_path, (str, Path)) and (isinstance(name_or_path, Path) or "/" in name_or_path
                                                   or "." in name_or_path):
        return check_photo_file(Path(name_or_path).expanduser())
    photo_path(name_or_path)  # raises: unknown photo
    raise AssertionError


def photo(name: str, mode: str = "L", box: tuple[int, int, int, int] | None = None, factor: int = 1) -> np.ndarray:
    """Photo ``name`` as a uint8 array: converted to ``mode``, cropped to ``box``, shrunk by ``factor``.

    ``name``: one of :data:`PHOTOS`, or a path to a PNG or JPEG file (a teacher's own photo;
    one clear ``ValueError`` if it is missing, not an image, damaged or a decompression bomb).
    ``box = (left, top, right, bottom)`` in pixels of the original (Pillow's
    convention); its width and height must be multiples of ``factor`` so that every output
    pixel averages a full ``factor×factor`` block.  Without a box: the whole photo, trimmed
    (centred) to the largest multiple of ``factor`` on each side — at most ``factor − 1``
    pixels go.  ``mode``: ``"L"`` (grayscale, ITU-R 601-2 luma, Pillow's conversion) or ``"RGB"``.

    >>> photo("chelsea", "RGB", box=(150, 60, 310, 220), factor=10).shape
    (16, 16, 3)
    """
    if mode not in MODES:
        raise ValueError(f"unknown image mode {mode!r}: choose 'L' (grayscale) or 'RGB'")
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor < 1:
        raise ValueError(f"the downsampling factor must be a positive integer, got {factor!r}")
    f = int(factor)
    if is_builtin(name):
        opened = Image.open(photo_path(name))
    elif isinstance(name, (str, Path)) and (isinstance(name, Path) or "/" in name or "." in name):
        opened = _open_checked(Path(name).expanduser())
    else:
        photo_path(name)  # raises: unknown photo
    shown = photo_name(name)
    with opened as im:
        im = im.convert(mode)
        W, H = im.size
        if box is None:
            if W < f or H < f:
                raise ValueError(f"the {W}×{H} photo {shown!r} is smaller than one {f}×{f} block")
            left, top = (W % f) // 2, (H % f) // 2
            right, bottom = left + W - W % f, top + H - H % f
        else:
            if len(box) != 4:
                raise ValueError(f"a crop box is four numbers (left, top, right, bottom), got {len(box)}")
            left, top, right, bottom = box
        if not (0 <= left < right <= W and 0 <= top < bottom <= H):
            raise ValueError(f"crop box {box!r} does not fit the {W}×{H} photo {shown!r}")
        w, h = right - left, bottom - top
        if w % f or h % f:
            raise ValueError(f"a {w}×{h} crop of {shown!r} does not divide into {f}×{f} blocks")
        crop = np.asarray(im.crop((left, top, right, bottom)), dtype=np.int64)
    sums = crop.reshape(h // f, f, w // f, f, *crop.shape[2:]).sum(axis=(1, 3))
    n = f * f
    return ((2 * sums + n) // (2 * n)).astype(np.uint8)  # round(sum / n), halves up, exactly


def block_mean(arr: np.ndarray, factor: int) -> np.ndarray:
    """The (float) mean of each ``factor×factor`` block: the reference tests hold :func:`photo` to.

    ``arr``: H×W or H×W×C with sizes multiples of ``factor``. ``photo`` returns
    these means rounded to the nearest integer, halves up.
    """
    a = np.asarray(arr, dtype=np.float64)
    H, W = a.shape[:2]
    blocks = a.reshape(H // factor, factor, W // factor, factor, *a.shape[2:])
    return blocks.mean(axis=(1, 3))


# ---------------------------------------------------------------- the digit
#: The digits :func:`digit` draws: 0–9, from the pen strokes the training digits are drawn from
#: (:func:`cnnviz.digits.pen_strokes`), so the course's digit is one the trained networks know.
DIGITS = tuple(range(10))


def digit(value: int = 5, size: int = 28, box: int = 20, stroke: float = 0.13, slant: float = 0.12) -> np.ndarray:
    """A handwritten-style digit like MNIST's: ``size×size`` uint8, 0 background, up to 255 ink.

    Drawn with Pillow strokes at 16× resolution, shrunk with a box filter into a
    ``box×box`` square (anti-aliased edges, like MNIST's 20×20 normalisation),
    then placed in the ``size×size`` image so that its centre of mass is the centre.
    ``stroke`` is the pen width as a fraction of the box; ``slant`` shears the
    top to the right, as handwriting does. Deterministic: same arguments, same pixels.
    """
    from cnnviz.digits import pen_strokes

    if isinstance(value, bool) or value not in DIGITS:
        raise ValueError(f"no strokes for digit {value!r}: choose one of 0–9")
    if not (isinstance(size, int) and isinstance(box, int) and 4 <= box <= size):
        raise ValueError(f"need integers 4 <= box <= size, got box={box!r}, size={size!r}")
    hi = 16
    S = box * hi
    canvas = Image.new("L", (S, S), 0)
    draw = ImageDraw.Draw(canvas)
    width = max(1, int(round(stroke * S)))
    pad = width / 2 + 1

    def pt(x: float, y: float) -> tuple[float, float]:
        x = x + slant * (0.5 - y)  # shear: the top leans right
        return pad + x * (S - 2 * pad), pad + y * (S - 2 * pad)

    for points in pen_strokes(value):
        pts = [pt(x, y) for x, y in points]
        draw.line(pts, fill=255, width=width, joint="curve")
        for x, y in (pts[0], pts[-1]):  # round pen ends
            draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=255)
    small = np.asarray(canvas.reduce(hi), dtype=np.float64)
    # crop the ink's bounding box, fit it in box×box keeping the aspect ratio
    ys, xs = np.nonzero(small > 0)
    ink = canvas.crop((xs.min() * hi, ys.min() * hi, (xs.max() + 1) * hi, (ys.max() + 1) * hi))
    scale = box / max(ink.size)
    ink = ink.resize((max(1, round(ink.size[0] * scale)), max(1, round(ink.size[1] * scale))), Image.Resampling.BOX)
    glyph = np.asarray(ink, dtype=np.float64)
    # centre of mass → image centre
    total = glyph.sum()
    gy, gx = np.indices(glyph.shape)
    cy, cx = (gy * glyph).sum() / total, (gx * glyph).sum() / total
    top = int(np.clip(round((size - 1) / 2 - cy), 0, size - glyph.shape[0]))
    left = int(np.clip(round((size - 1) / 2 - cx), 0, size - glyph.shape[1]))
    out = np.zeros((size, size), dtype=np.uint8)
    out[top:top + glyph.shape[0], left:left + glyph.shape[1]] = np.clip(np.round(glyph), 0, 255).astype(np.uint8)
    return out


def shift(img: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
    """``img`` moved ``dx`` pixels right and ``dy`` down, zeros shifted in (nothing wraps around)."""
    img = np.asarray(img)
    out = np.zeros_like(img)
    H, W = img.shape[:2]
    if abs(dx) >= W or abs(dy) >= H:
        return out
    src = img[max(0, -dy):H - max(0, dy), max(0, -dx):W - max(0, dx)]
    out[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out


__all__ = ["ASSETS", "PHOTOS", "PHOTO_FORMATS", "DIGITS", "photo_path", "is_builtin", "photo_name", "check_photo_file",
           "photo_size", "photo", "block_mean", "digit", "shift"]
