"""Scene parameters (cnnviz.params): literals parsed without eval, signatures read, values checked, photos by path.

References are independent of the code under test: JSON for the literal round trip, NumPy on
the photo file's own pixels for the photos, the output-size formula counted window by window.
"""

from __future__ import annotations

import functools
import json
import struct
import zlib
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from cnnviz import images, params
from cnnviz.params import Grid, Param, ParamError, Photo, Tensor3, Vector

from helpers import examples

# ------------------------------------------------------------------------------------------ literals


@pytest.mark.parametrize("text, value", [
    ("7", 7), ("-3", -3), ("0.5", 0.5), ("-1e-3", -0.001), ("+2", 2),
    ("[[1, 2], [3, 4]]", [[1, 2], [3, 4]]), ("[1, -2.5, 3]", [1, -2.5, 3]), ("((1, 2), (3, 4))", [[1, 2], [3, 4]]),
    ('"text"', "text"), ("'a b'", "a b"),
    ("true", True), ("false", False), ("True", True), ("False", False), ("none", None), ("None", None),
    ("vertical", "vertical"), ("photos/cat.png", "photos/cat.png"), ("~/my-photo.jpg", "~/my-photo.jpg"),
    ("my cat.png", "my cat.png"), ("cat.png", "cat.png"), ("5x5", "5x5"), ("  7  ", 7),
])
def test_parse_literal_accepts_literals(text, value):
    got = params.parse_literal(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("text", [
    '__import__("os").system("touch PWNED")',
    "open('PWNED', 'w')",
    "[__import__('pathlib').Path('PWNED').touch()]",
    "[x for x in range(3)]", "lambda: 1", "1 + 2", "2 ** 1000", "1+2j", "{1: 2}", "{1, 2}", "b'bytes'",
    "[1, 2", "[[1, 2], foo]", "(1).__class__", "x[0]", "f'{1}'", "[1, 2] * 9999",
])
def test_parse_literal_refuses_anything_that_is_not_a_literal_and_runs_nothing(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError):
        params.parse_literal(text)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("text, why", [
    ("[" * 6 + "1" + "]" * 6, "nested"), ("[" * 100_000 + "]" * 100_000, "longer than"),
    ("[" + ",".join(["1"] * 25_000) + "]", "longer than|too many"), ("1e999", "finite"), ("-1e999", "finite"),
    ("", "empty"),
])
def test_parse_literal_is_bounded(text, why):
    with pytest.raises(ValueError, match=why):
        params.parse_literal(text)


numbers = st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))


@settings(max_examples=examples(60))
@given(st.one_of(numbers, st.lists(numbers, max_size=6), st.lists(st.lists(numbers, max_size=4), max_size=4),
                 st.lists(st.lists(st.lists(numbers, max_size=3), max_size=3), max_size=3)))
def test_parse_literal_round_trips_json(value):
    """What JSON writes (and Python's repr), parse_literal reads back (JSON is the reference)."""
    text = json.dumps(value)
    assert params.parse_literal(text) == json.loads(text)
    assert params.parse_literal(repr(value)) == value


def test_check_literal_bounds_file_values():
    assert params.check_literal(((1, 2), [3, 4])) == [[1, 2], [3, 4]]
    for bad, why in (([[[[[1]]]]], "nested"), (float("inf"), "finite"), ({"a": 1}, "dict"), ("x" * 2000, "longer")):
        with pytest.raises(ValueError, match=why):
            params.check_literal(bad, "v")


# ------------------------------------------------------------------------------------------ signatures


def toy_data(
    n: Annotated[int, Param("how many", min=1, max=3)] = 1,
    p: Annotated[float, Param("a probability", min=0, max=1)] = 0.5,
    on: Annotated[bool, Param("a switch")] = True,
    word: Annotated[str, Param("any text")] = "hi",
    how: Annotated[Literal["max", "mean"], Param("pooling")] = "max",
    x: Annotated[Grid, Param("the input", max_shape=(4, 4), noun="input")] = ((1, 2), (3, 4)),
    w: Annotated[Grid | None, Param("the kernel")] = None,
    v: Annotated[Vector, Param("a vector", min=-5, max=5)] = (1, 2, 3),
    t: Annotated[Tensor3, Param("a tensor", max_shape=(2, 2, 3))] = (((1, 2, 3), (4, 5, 6)),),
    sizes: Annotated[tuple[int, ...], Param("kernel sizes", min=1, max=7, max_shape=(3,))] = (3, 5),
    photo: Annotated[Photo, Param("a photo")] = "camera",
    c: Annotated[int, Param("channels", min=1)] = 1,
    plain: int = 4,
    untyped=5,
):
    return locals()


class ToyScene:
    data = staticmethod(toy_data)


class ToyBound:
    data = staticmethod(functools.partial(toy_data, c=3, n=2))


def test_scene_params_reads_the_signature():
    specs = params.scene_params(ToyScene)
    assert list(specs) == ["n", "p", "on", "word", "how", "x", "w", "v", "t", "sizes", "photo", "c"]
    kinds = {k: s.kind for k, s in specs.items()}
    assert kinds == {"n": "int", "p": "float", "on": "bool", "word": "str", "how": "choice", "x": "grid",
                     "w": "grid", "v": "vector", "t": "tensor3", "sizes": "tuple", "photo": "photo", "c": "int"}
    assert specs["w"].optional and not specs["x"].optional
    assert specs["how"].choices == ("max", "mean")
    assert specs["n"].default == 1 and specs["n"].help == "how many" and (specs["n"].min, specs["n"].max) == (1, 3)
    assert specs["sizes"].element == "int"
    assert specs["x"].limits_text() == "at most 4×4" and specs["n"].limits_text() == "1 to 3"
    json.dumps([s.as_dict() for s in specs.values()])  # list --json can print them


def test_keywords_bound_by_partial_are_not_parameters():
    specs = params.scene_params(ToyBound)
    assert "c" not in specs and "n" not in specs and "p" in specs


def test_a_parameter_needs_a_default_and_may_not_take_a_reserved_name():
    def no_default(n: Annotated[int, Param("n")]):
        return n

    def reserved(name: Annotated[str, Param("clashes with cnnviz.render(name, ...)")] = "x"):
        return name

    for fn, why in ((no_default, "default"), (reserved, "reserved")):
        with pytest.raises(TypeError, match=why):
            params.scene_params(type("S", (), {"data": staticmethod(fn)}))


# ------------------------------------------------------------------------------------------ coerce


def test_coerce_normalises_values():
    got = params.coerce(ToyScene, {"n": 3.0, "p": 1, "x": [[1, 2.5], [3, 4]], "v": [1, -5], "sizes": [7],
                                   "t": [[[1, 2, 3]]], "w": None, "how": "mean", "on": False})
    assert got == {"n": 3, "p": 1.0, "on": False, "how": "mean", "x": ((1, 2.5), (3, 4)), "w": None,
                   "v": (1, -5), "t": (((1, 2, 3),),), "sizes": (7,)}
    assert type(got["n"]) is int and type(got["p"]) is float


@pytest.mark.parametrize("raw, line", [
    ({"n": 4}, "n is 4: it must be from 1 to 3"),
    ({"n": 2.5}, "n must be a whole number, got 2.5"),
    ({"n": True}, "n must be a whole number, got true"),
    ({"n": "two"}, 'n must be a whole number, got "two"'),
    ({"p": 1.5}, "p is 1.5: it must be from 0 to 1"),
    ({"on": 1}, "on must be true or false, got 1"),
    ({"how": "maxx"}, "how must be one of max, mean, got \"maxx\" (did you mean max?)"),
    ({"x": [[1, 2], [3]]}, "x is not rectangular: row 2 has 1 number and row 1 has 2 numbers"),
    ({"x": [1, 2]}, "x must be rows of numbers, like [[1, 2], [3, 4]], got 1"),
    ({"x": [[1, "a"]]}, 'x holds "a", not a number'),
    ({"x": []}, "x is empty"),
    ({"x": [[1] * 5] * 5}, "x: a 5×5 input is too large: an input of at most 4×4 fits this scene at a readable size"),
    ({"x": [[1] * 8] * 8}, "x: an 8×8 input is too large: an input of at most 4×4 fits"),
    ({"x": [[1e10]]}, "x holds 10000000000: every number must be from"),
    ({"w": "none please"}, "w must be rows of numbers"),
    ({"v": [1, 9]}, "v holds 9: every number must be from -5 to 5"),
    ({"t": [[[1, 2, 3, 4]]]}, "t: a 1×1×4 value is too large: a value of at most 2×2×3 fits"),
    ({"sizes": [3, 5, 7, 9]}, "sizes has 4 items: at most 3 fit this scene"),
    ({"sizes": [3, 0]}, "sizes[2] is 0: it must be from 1 to 7"),
    ({"photo": 3}, "photo must be a photo's name (chelsea, camera, astronaut) or a path"),
    ({"c": 0}, "c is 0: it must be at least 1"),
    ({"x": None}, "x cannot be none"),
])
def test_coerce_says_what_is_wrong_naming_the_parameter_and_the_limit(raw, line):
    with pytest.raises(ParamError) as err:
        params.coerce(ToyScene, raw)
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith(line) or line in err.value.problems[0], err.value.problems


def test_coerce_reports_every_problem_on_its_own_line():
    with pytest.raises(ParamError) as err:
        params.coerce(ToyScene, {"n": 0, "p": "x", "nn": 1, "zzz": 2})
    lines = err.value.problems
    assert len(lines) == 4 and str(err.value).count("\n") == 3
    assert "unknown parameter 'nn' for ToyScene; did you mean: n, on?" in lines[0]
    assert lines[1].startswith("unknown parameter 'zzz' for ToyScene; it takes n, p, on, word, how, x, w, v, t, ")
    assert lines[2] == "n is 0: it must be from 1 to 3" and lines[3].startswith("p must be a number")


def test_unknown_parameter_of_a_scene_without_parameters():
    plain = type("Plain", (), {"data": staticmethod(lambda n=3: n)})
    with pytest.raises(ParamError, match="unknown parameter 'n': Plain takes no parameters yet"):
        params.coerce(plain, {"n": 7})


def test_custom_values_drops_the_notebooks_defaults():
    values = params.coerce(ToyScene, {"n": 1, "x": [[1, 2], [3, 4]], "p": 0.25, "photo": "camera"})
    assert params.custom_values(ToyScene, values) == {"p": 0.25}


def test_parametrised_scene_calls_its_data_with_the_values():
    cls = params.parametrised(ToyBound, {"p": 0.25, "x": ((9,),)})
    d = cls.data()
    assert (d["p"], d["x"], d["c"], d["n"]) == (0.25, ((9,),), 3, 2)  # bound keywords kept
    assert cls.__name__ == "ToyBound" and issubclass(cls, ToyBound)
    assert ToyBound.data()["p"] == 0.5  # the scene itself is unchanged
    assert params.parametrised(ToyBound, {}) is ToyBound


# ------------------------------------------------------------------------------------------ photos


def make_photos(folder: Path) -> dict[str, Path]:
    """A real JPEG and PNG, and files that are not photos: text, a truncated JPEG, a GIF, a
    decompression bomb (a PNG header claiming 30000×30000 pixels; the file is 70 bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    rgb = np.asarray(Image.open(images.ASSETS / "astronaut.png").convert("RGB"))[20:260, 100:420]
    out = {"jpeg": folder / "my photo.jpg", "png": folder / "mine.png", "text": folder / "notes.png",
           "truncated": folder / "broken.jpg", "gif": folder / "anim.gif", "bomb": folder / "bomb.png"}
    Image.fromarray(rgb).save(out["jpeg"], quality=92)
    Image.fromarray(rgb[:, ::-1]).save(out["png"])
    out["text"].write_text("not an image")
    out["truncated"].write_bytes(out["jpeg"].read_bytes()[:2000])
    Image.fromarray(rgb[:10, :10]).save(out["gif"])

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    out["bomb"].write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 1, 0, 0, 0, 0))
                            + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b""))
    return out


@pytest.fixture()
def photos(tmp_path):
    return make_photos(tmp_path / "photos")


@pytest.mark.parametrize("kind, message", [
    ("text", "notes.png is not an image"),
    ("truncated", "broken.jpg cannot be decoded as an image"),
    ("gif", "anim.gif is a GIF image: give a PNG or JPEG file"),
    ("bomb", "bomb.png has more pixels than Pillow's safety limit of 89,478,485 (a decompression bomb?)"),
])
def test_a_photo_that_is_not_one_is_one_clear_line(photos, kind, message):
    with pytest.raises(ParamError) as err:
        params.coerce(ToyScene, {"photo": str(photos[kind])})
    assert err.value.problems == [f"photo: {message}" + err.value.problems[0][len(f"photo: {message}"):]]
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match=message.split(" (")[0].replace("(", r"\(")):
        images.photo(str(photos[kind]))


def test_missing_photo_and_folder(photos):
    with pytest.raises(ParamError, match="photo: nope.png: no such file"):
        params.coerce(ToyScene, {"photo": str(photos["png"].parent / "nope.png")})
    with pytest.raises(ParamError, match="is not a file"):
        params.coerce(ToyScene, {"photo": str(photos["png"].parent)})


def test_photo_paths_are_made_absolute_from_the_base(photos):
    got = params.coerce(ToyScene, {"photo": "mine.png"}, base=photos["png"].parent)
    assert got == {"photo": str(photos["png"].resolve())}
    assert params.coerce(ToyScene, {"photo": "astronaut"}) == {"photo": "astronaut"}
    assert params.photo_files(ToyScene, got) == {got["photo"]: photos["png"].read_bytes()}


def test_photo_from_a_file_is_the_block_means_of_its_pixels(photos):
    """Recomputed with NumPy from the file: crop trimmed (centred) to whole blocks, rounded means."""
    raw = np.asarray(Image.open(photos["jpeg"]).convert("L"), dtype=np.float64)  # 240×320
    got = images.photo(str(photos["jpeg"]), "L", factor=7)
    h, w = raw.shape[0] // 7 * 7, raw.shape[1] // 7 * 7
    top, left = (raw.shape[0] - h) // 2, (raw.shape[1] - w) // 2
    ref = np.floor(images.block_mean(raw[top:top + h, left:left + w], 7) + 0.5)
    assert got.shape == (34, 45) and np.array_equal(got, ref)
    rgb = images.photo(str(photos["png"]), "RGB", box=(0, 0, 320, 240), factor=8)
    ref = np.floor(images.block_mean(np.asarray(Image.open(photos["png"]).convert("RGB"), dtype=float), 8) + 0.5)
    assert np.array_equal(rgb, ref)
    assert images.photo_name(str(photos["jpeg"])) == "my photo" and images.photo_name("camera") == "camera"
    with pytest.raises(ValueError, match="four numbers"):
        images.photo("camera", box=(0, 0, 8))


# ------------------------------------------------------------------------------------------ names


def test_variant_suffix_is_readable_and_tells_values_apart():
    assert params.variant_suffix({"n": 7, "f": 5}) == "n=7,f=5"
    assert params.variant_suffix({"p": 0.5, "on": False, "w": None}) == "p=0.5,on=false,w=none"
    assert params.variant_suffix({"example": (32, 5, 2, 2)}) == "example=32-5-2-2"
    assert params.variant_suffix({"photo": "/home/ada/my cat.png"}) == "photo=my_cat"
    a = params.variant_suffix({"x": ((1, 2), (3, 4))})
    b = params.variant_suffix({"x": ((1, 2), (3, 5))})
    assert a.startswith("x=2x2-") and b.startswith("x=2x2-") and a != b
    assert params.variant_suffix({}, "week3") == "week3" and params.variant_suffix({}) == ""
    long = params.variant_suffix({f"p{k}": k * 1000 for k in range(40)})
    assert len(long) <= 80 and long != params.variant_suffix({f"p{k}": k * 1001 for k in range(40)})
    for bad in ("../x", "a b", "", "-x", "x" * 65, "é"):
        with pytest.raises(ValueError):
            params.variant_suffix({}, bad) if bad else params.variant_suffix({}, "/")


# ------------------------------------------------------------------------------------------ --params files


def test_params_file_holds_several_scenes_and_variants(tmp_path):
    f = tmp_path / "course" / "week3.toml"
    f.parent.mkdir()
    f.write_text('''
[ConvExampleExplainedClean]
x = [[1, 2, 0], [0, 1, 3], [2, 2, 1]]
n_explained = 1

[[FeatureDetectionGray]]
photo = "photos/cat.png"
name = "cat"
[[FeatureDetectionGray]]
photo = "astronaut"

[OutputSizeFormula]
''', encoding="utf-8")
    reqs = params.load_params_file(f)
    assert [(r.scene, r.raw, r.name) for r in reqs] == [
        ("ConvExampleExplainedClean", {"x": [[1, 2, 0], [0, 1, 3], [2, 2, 1]], "n_explained": 1}, None),
        ("FeatureDetectionGray", {"photo": "photos/cat.png"}, "cat"),
        ("FeatureDetectionGray", {"photo": "astronaut"}, None),
        ("OutputSizeFormula", {}, None)]
    assert all(r.base == f.parent.resolve() for r in reqs)


@pytest.mark.parametrize("text, message", [
    ("[Scene\nx = 1", "is not valid TOML"),
    ("quality = 'l'", "'quality' must be a table [quality]"),
    ("[S]\nx = [[[[[1]]]]]", "S: x: nested more than 4 deep"),
    ("[S]\nwhen = 1979-05-27", "S: when: a date is not a value here"),
    ("[S]\nname = 'a b'", "S: name \"a b\": use 1–64 letters"),
    ("[S]\nx = inf", "S: x: inf is not a finite number"),
])
def test_params_file_problems_are_one_line_each(tmp_path, text, message):
    f = tmp_path / "v.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ParamError) as err:
        params.load_params_file(f)
    assert len(err.value.problems) == 1 and message in err.value.problems[0], err.value.problems
    assert err.value.problems[0].startswith("v.toml")


def test_params_file_that_is_missing_or_not_text(tmp_path):
    with pytest.raises(ParamError, match="no such file"):
        params.load_params_file(tmp_path / "nope.toml")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ParamError, match="not UTF-8"):
        params.load_params_file(tmp_path / "bin.toml")


# ------------------------------------------------------------------------------------------ the pilots


def test_pilot_scenes_declare_their_parameters():
    from scenes.ch2_features import FeatureDetectionGray, FeatureDetectionRGB
    from scenes.ch2_hyperparams import OutputSizeFormula
    from scenes.ch2_numeric import ConvExampleExplainedClean

    assert list(params.scene_params(ConvExampleExplainedClean)) == ["x", "w", "stride", "padding", "n_explained"]
    assert list(params.scene_params(OutputSizeFormula)) == ["example", "floor_case"]
    assert list(params.scene_params(FeatureDetectionGray)) == ["photo", "box", "factor", "kind", "patch_size"]
    assert list(params.scene_params(FeatureDetectionRGB)) == ["photo", "box", "factor", "kind"]
    for cls in (ConvExampleExplainedClean, OutputSizeFormula, FeatureDetectionGray):
        for spec in params.scene_params(cls).values():
            assert spec.help and spec.default is not None or spec.optional


def test_output_size_takes_its_cases():
    from scenes.ch2_hyperparams import output_size_data

    d = output_size_data(example=(32, 5, 2, 2), floor_case=(10, 3, 1, 3))
    for case, (n, f, p, s) in ((d.notebook, (32, 5, 2, 2)), (d.floor_case, (10, 3, 1, 3))):
        windows = list(range(0, n + 2 * p - f + 1, s))  # slide a window until it falls off
        assert (case.n, case.f, case.p, case.s, case.size) == (n, f, p, s, len(windows))
        assert case.windows == tuple(windows)
    with pytest.raises(ValueError, match="floor_case is four whole numbers"):
        output_size_data(floor_case=(8, 3, 0))
    with pytest.raises(ValueError, match="a kernel of size 9 does not fit an input of size 4"):
        output_size_data(example=(4, 9, 0, 1))


def test_feature_detection_takes_a_photo_file(photos):
    from scipy.signal import correlate2d

    from scenes.ch2_features import feature_data

    d = feature_data(photo=str(photos["jpeg"]))
    raw = np.asarray(Image.open(photos["jpeg"]).convert("L"), dtype=np.float64)  # 240×320 → factor 5 → 48×64
    # named on screen by notation.photo_name: "your photo", never the file name
    assert d.factor == 5 and d.image.shape == (48, 64) and d.photo == "your photo" and d.source == str(photos["jpeg"])
    assert np.array_equal(d.image, np.floor(images.block_mean(raw, 5) + 0.5))
    sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    assert np.array_equal(d.maps[0].response, correlate2d(d.image.astype(np.int64), sobel, mode="valid"))
    assert feature_data().factor == 8  # the cameraman: 512 / 64, the notebook's example


def test_conv_example_labels_what_it_draws():
    from scenes.ch2_numeric import conv_example_data

    d = conv_example_data(x=np.ones((5, 4), int), w=[[1, 0, 1], [0, 1, 0]])  # no longer mislabelled as 5×5, 2×2
    assert d.labels == ("input 5×4", "kernel 2×3", "output 4×2") and d.out.shape == (4, 2)


# ------------------------------------------------------------------------------------------ check (imports Manim)


def test_check_reports_the_cores_refusal_in_its_words():
    from cnnviz import api
    from scenes.ch2_numeric import ConvExampleExplainedClean

    values = params.coerce(ConvExampleExplainedClean, {"x": [[1, 2], [3, 4]]})
    assert api.check(ConvExampleExplainedClean, values) == [
        "cannot convolve a 2×2 input with a 3×3 kernel: the 3×3 kernel is larger than the 2×2 padded input "
        "(padding 0)"]


def test_check_reports_the_layout_with_her_values(monkeypatch):
    from cnnviz import api
    import scenes.ch2_hyperparams as ch2
    from scenes.ch2_hyperparams import OutputSizeFormula

    # the scene's own limit lifted: a 28-cell strip, wider than the frame, reaches the layout check
    monkeypatch.setattr(ch2, "FLOOR_MAX_CELLS", 40)
    values = {"floor_case": (28, 3, 0, 2)}
    lines = api.check(OutputSizeFormula, values)
    # one line per kind of problem: out of the frame (and so, too close to its edge)
    assert lines and all(line.startswith("does not fit the screen with these values: ") for line in lines)
    out = [line for line in lines if line.startswith("does not fit the screen with these values: out-of-frame: ")]
    assert len(out) == 1 and out[0].endswith("more like it)")
    assert api.check(OutputSizeFormula, params.coerce(OutputSizeFormula, {"floor_case": [9, 3, 0, 2]})) == []


def test_readme_table_of_parameters_is_up_to_date():
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, str(root / "docs" / "params_table.py"), "--check"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
