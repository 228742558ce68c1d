"""The scene catalog: every scene of ``SCENES.md`` with its chapter, module and notebook path.

This module is declarative and imports neither Manim nor the scene modules, so
``cnnviz list`` is instant. A catalog entry is *implemented* once its module
defines a class of that name (read from the module's source with ``ast``, no
import); the tests import every implemented scene and check that it is a real
``manim.Scene`` with a data function.

Extra scenes (used by the CLI tests, or by a teacher's scene of her own) are added with
the environment variable ``CNNVIZ_EXTRA_SCENES="pkg.module:SceneName,/path/my_scenes.py:MyScene,..."``:
an importable module, or a Python file anywhere (its folder need not be on ``sys.path``).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import math
import importlib
import importlib.util
import keyword
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

#: Manim version string the notebook's HTML bakes into its GIF names.
NOTEBOOK_MANIM_TAG = "ManimCE_v0.19.0"

CHAPTERS = {
    0: "Extra scenes (CNNVIZ_EXTRA_SCENES)",
    1: "The intuition behind CNNs",
    2: "The convolution operator",
    3: "Building the CNN",
}



@dataclass(frozen=True)
class SceneSpec:
    """One scene of the catalog."""

    name: str
    chapter: int
    section: str
    #: where the notebook's HTML expects the GIF, relative to the notebook; None for extras
    notebook_path: str | None
    module: str = ""
    #: an extra scene's Python file (absolute), when it was named by path; its module is then
    #: imported under :func:`file_module_name` (the file's folder need not be on ``sys.path``)
    path: str = ""

    @property
    def module_name(self) -> str:
        return self.module

    def load(self):
        """Import the scene module and return the Scene class (imports Manim)."""
        if self.path:
            mod = load_file_module(self.module_name, self.path)
        else:
            mod = importlib.import_module(self.module_name)
        return getattr(mod, self.name)

    @property
    def notebook_width(self) -> float:
        """How wide the notebook shows this scene, as a fraction of its text column (its HTML's
        ``width``: 0.5 side by side in a two-column table, 0.8 alone; 1.0 for scenes it does not show)."""
        return NOTEBOOK_WIDTHS.get(self.name, 1.0)


def file_module_name(path: str) -> str:
    """The module name a scene file is imported under: its stem and a digest of its path
    (``cnnviz_extra_my_scenes_1a2b3c4d``), the same on the client and on every worker."""
    stem = re.sub(r"\W", "_", Path(path).stem) or "scenes"
    return f"cnnviz_extra_{stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"


def load_file_module(module: str, path: str):
    """Import the Python file ``path`` as ``module`` (once per process).  Its folder goes at the
    end of ``sys.path``, so that the modules beside it import, without shadowing any other."""
    mod = sys.modules.get(module)
    if mod is not None and getattr(mod, "__file__", None) == path:
        return mod
    folder = str(Path(path).parent)
    if folder not in sys.path:
        sys.path.append(folder)
    spec = importlib.util.spec_from_file_location(module, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}: not a Python file")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[module] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(module, None)
        raise
    return mod


def _nb(name: str) -> str:
    return f"media/videos/CNN/720p30/{name}_{NOTEBOOK_MANIM_TAG}.gif"


def _s(name: str, chapter: int, section: str, path: str | None = "default", module: str = "") -> SceneSpec:
    return SceneSpec(name, chapter, section, _nb(name) if path == "default" else path, module)


#: One module per notebook section where a chapter is long.
_IMAGES = "scenes.ch1_images"  # 1.I    images as matrices and tensors
_MLP = "scenes.ch1_mlp"  # 1.II   the naive approach: an MLP, and its limits
_STRATEGIES = "scenes.ch1_strategies"  # 1.III  two strategies: pixel by pixel, feature detection
_ARCHITECTURE = "scenes.ch2_architecture"  # 2.I    the convolution operator, as block diagrams
_NUMERIC = "scenes.ch2_numeric"  # 2.I    the convolution operator, with numbers
_HYPER = "scenes.ch2_hyperparams"  # 2.II–IV dimensions, padding, stride, kernel size, the size formula
_FEATURES = "scenes.ch2_features"  # 2.V    feature detection on photos
_LAYERS = "scenes.ch3_layers"  # 3.II   the convolution as a layer
_PIPELINE = "scenes.ch3_pipeline"  # 3.III.1–2 pooling and the CNN pipeline
_TRAINING = "scenes.ch3_training"  # 3.III.3.3, III.4 how the CNN learns (backward, mini-batches)
_REGULARIZATION = "scenes.ch3_regularization"  # 3.III.3.4, III.4.5 batch norm, dropout, train vs eval
_LEARNING = "scenes.ch3_learning"  # 3.III.4 the real training run: curves and kernels


CATALOG: tuple[SceneSpec, ...] = (
    # Chapter 1 — the intuition behind CNNs
    _s("RealGrayscaleToMatrixV2", 1, "I.A Grayscale images", "default", _IMAGES),
    _s("RGBAbstractTensor", 1, "I.B Color images (RGB)", "default", _IMAGES),
    _s("TensorExplanationFastSimple", 1, "I.C What is a tensor?", "default", _IMAGES),
    _s("MLP_Style_NoText_Fixed", 1, "II. The naive approach: MLP", "default", _MLP),
    _s("FlatteningSimple", 1, "II.1 Loss of spatial information", "default", _MLP),
    _s("DigitShiftBig", 1, "II.3 No translation invariance", "default", _MLP),
    _s("STRATEGIE1", 1, "III. Feature detection (strategy 1)", "assets/STRATEGIE1.gif", _STRATEGIES),
    _s("STRATEGIE2", 1, "III. Feature detection (strategy 2)", "assets/STRATEGIE2.gif", _STRATEGIES),
    _s("MLPParameterCount", 1, "II.2 Giant number of parameters", None, _MLP),
    # Chapter 2 — the convolution operator
    _s("Architecture_1_Grey_1Filter", 2, "I.1 One channel, one filter", "default", _ARCHITECTURE),
    _s("ConvExampleExplainedClean", 2, "I.1 One channel, one filter", "default", _NUMERIC),
    _s("Architecture_2_Grey_2Filters", 2, "I.2 One channel, two filters", "default", _ARCHITECTURE),
    _s("Conv2FiltersExample", 2, "I.2 One channel, two filters", "default", _NUMERIC),
    _s("Architecture_3_RGB_1Filter", 2, "I.3 Three channels, one filter", "default", _ARCHITECTURE),
    _s("RGBConvStepByStepCentered", 2, "I.3 Three channels, one filter", "default", _NUMERIC),
    _s("FullCNNSequence", 2, "I.4 Three channels, five filters", "default", _ARCHITECTURE),
    _s("ConvDimensionsSimpleCentered", 2, "II. Dimensions of a convolution output", "default", _HYPER),
    _s("PaddingOneByOneEng", 2, "III.1 Padding", "default", _HYPER),
    _s("Stride4x4Comparison", 2, "III.2 Stride", "default", _HYPER),
    _s("KernelSizeAndDepthClean", 2, "III.3 Kernel size and number of filters", "default", _HYPER),
    _s("FeatureDetectionGray", 2, "V. Feature detection examples", "default", _FEATURES),
    _s("FeatureDetectionRGB", 2, "V. Feature detection examples", "default", _FEATURES),
    _s("OutputSizeFormula", 2, "IV. The final output dimension formula", None, _HYPER),
    # Chapter 3 — building the CNN
    _s("ConvView_Final_Title_SharedBias", 3, "II.2 Convolution as a neural-network layer", "default", _LAYERS),
    _s("ActivationFunctionStep", 3, "II.3 The activation function", "default", _LAYERS),
    _s("SparseVsDense", 3, "II.4 Convolution vs. fully connected", "assets/output.gif", _LAYERS),
    _s("DimensionExamplesSideBySide", 3, "II. Dimension examples", "default", _LAYERS),
    _s("TinyMaxPoolingFixed", 3, "III.1 Pooling", "default", _PIPELINE),
    _s("TinyCNN_ImageInput", 3, "III.2 The CNN pipeline", "default", _PIPELINE),
    _s("NeuralNetworkAnimation", 3, "III.2 The CNN pipeline", "default", _PIPELINE),
    _s("Dropout", 3, "III.3.4.2 Dropout", "assets/dropout.gif", _REGULARIZATION),
    _s("BatchNormStep", 3, "III.3.4.1 Batch normalization", None, _REGULARIZATION),
    _s("MiniBatchTraining", 3, "III.4 How a CNN learns", None, _TRAINING),
    _s("TrainingCurve", 3, "III.4 How a CNN learns", None, _LEARNING),
    _s("TrainVsEval", 3, "III.3.4 Train vs. eval", None, _REGULARIZATION),
    _s("BackpropWeightSharing", 3, "III.3.3 Training (backward)", None, _TRAINING),
)


#: How wide the notebook's HTML shows each scene (fraction of the text column): the two-column tables put
#: 14 GIFs side by side at half width, the others are single images at ``width: 80%``. Scenes not listed
#: (the extras) are taken at full width. ``tests/test_scenes.py`` re-reads the notebook and checks this.
NOTEBOOK_WIDTHS = {
    **dict.fromkeys((
        "RealGrayscaleToMatrixV2", "RGBAbstractTensor", "STRATEGIE1", "STRATEGIE2",
        "Architecture_1_Grey_1Filter", "ConvExampleExplainedClean", "Architecture_2_Grey_2Filters",
        "Conv2FiltersExample", "Architecture_3_RGB_1Filter", "RGBConvStepByStepCentered",
        "FeatureDetectionGray", "FeatureDetectionRGB", "TinyCNN_ImageInput", "NeuralNetworkAnimation",
    ), 0.5),
    **dict.fromkeys((
        "TensorExplanationFastSimple", "MLP_Style_NoText_Fixed", "FlatteningSimple", "DigitShiftBig",
        "FullCNNSequence", "ConvDimensionsSimpleCentered", "PaddingOneByOneEng", "Stride4x4Comparison",
        "KernelSizeAndDepthClean", "ConvView_Final_Title_SharedBias", "ActivationFunctionStep", "SparseVsDense",
        "DimensionExamplesSideBySide", "TinyMaxPoolingFixed", "Dropout",
    ), 0.8),
}


def min_font(spec: SceneSpec) -> float:
    """The smallest font size the scene may show: ``theme.MIN_FONT`` (readable at 480p and on a slide),
    or more where the notebook shows the scene small, so that a digit stays ``theme.MIN_DISPLAY_PX``
    (11 px) tall as displayed.

    Shown at ``w`` of a ``theme.NOTEBOOK_COLUMN_PX`` (1,000 px) column, the frame's 14.2 units span
    ``w × 1000`` px, and a digit of font size ``s`` is ``s × theme.DIGIT_HEIGHT`` units tall. Half width
    (~500 px): 11 px needs ``s ≥ 29.8`` → **30**, 1.5 × ``MIN_FONT`` (a font-20 digit there is 7.4 px);
    at 80 % (~800 px) 18.6 and at full width 14.9, both under ``MIN_FONT``, which stays.
    """
    from . import theme

    px_per_unit = spec.notebook_width * theme.NOTEBOOK_COLUMN_PX / theme.FRAME_WIDTH
    needed = theme.MIN_DISPLAY_PX / (theme.DIGIT_HEIGHT * px_per_unit)
    return float(max(theme.MIN_FONT, math.ceil(needed - 1e-9)))


def _module_file(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


@dataclass(frozen=True)
class SourceFacts:
    """What the catalog and the cache key need from a Python file, read without importing it."""

    #: the classes defined at the top level
    classes: frozenset[str]
    #: every import statement, at any depth: ``(module, level, names)``; ``import a.b, c`` is
    #: ``(None, 0, ("a.b", "c"))``, ``from ..m import x, y`` is ``("m", 2, ("x", "y"))``
    imports: tuple[tuple[str | None, int, tuple[str, ...]], ...]


def _statements(body: list[ast.stmt]):
    """Every statement of ``body``, nested ones included (imports are statements, so the
    expressions need not be walked: about a twelfth of the time of ``ast.walk`` on this project's
    files, 0.02-0.03 s against 0.35-0.38 s)."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody"):
            sub = getattr(node, field, None)
            if isinstance(sub, list):
                yield from _statements(sub)
        for part in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
            yield from _statements(part.body)


@functools.lru_cache(maxsize=None)
def _source_facts(path: Path, mtime_ns: int, size: int) -> SourceFacts:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    imports = []
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            imports.append((None, 0, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            imports.append((node.module, node.level, tuple(a.name for a in node.names)))
    return SourceFacts(frozenset(node.name for node in tree.body if isinstance(node, ast.ClassDef)), tuple(imports))


def source_facts(path: Path) -> SourceFacts:
    """The :class:`SourceFacts` of ``path``, parsed once per process while the file keeps its
    modification time and size (the catalog and the cache keys read the same files: the
    nothing-changed path of ``render`` parses each once). Raises OSError, SyntaxError or
    ValueError for a file that cannot be read or parsed."""
    st = path.stat()
    return _source_facts(path, st.st_mtime_ns, st.st_size)


def module_file(spec: SceneSpec) -> Path | None:
    """The source file of the scene's module, or None if it does not exist."""
    if spec.path:
        return Path(spec.path) if Path(spec.path).is_file() else None
    return _module_file(spec.module_name)


def is_implemented(spec: SceneSpec) -> bool:
    path = module_file(spec)
    if path is None:
        return False
    return spec.name in source_facts(path).classes


def _identifier(word: str) -> bool:
    return word.isidentifier() and not keyword.iskeyword(word)


#: the longest scene name, in UTF-8 bytes: a name becomes file names (``<Name>.webm``, ``logs/<Name>.log``,
#: ``.<Name>.log.XXXXXXXX.tmp``, ``cnnviz-work-<pid>-<Name>-XXXXXXXX``), and a file name has at most 255
MAX_NAME_BYTES = 150


def _is_path(module: str) -> bool:
    return module.endswith(".py") or "/" in module or os.sep in module


def extra_specs() -> list[SceneSpec]:
    """Scenes added through ``CNNVIZ_EXTRA_SCENES`` ("module:Name,/path/file.py:Name"), each once;
    ValueError for an entry whose module is not a dotted Python name (nor a ``.py`` file that exists
    and defines the class), whose scene is not a Python identifier of at most :data:`MAX_NAME_BYTES`,
    or whose name is already another scene's.  Relative paths are read from the current directory."""
    from cnnviz.files import printable

    raw = os.environ.get("CNNVIZ_EXTRA_SCENES", "").strip()
    specs: dict[str, SceneSpec] = {}
    catalog = {s.name: s for s in CATALOG}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        module, sep, name = item.rpartition(":")
        shown = printable(repr(item), limit=80)
        if not sep or not module or not name:
            raise ValueError(f"CNNVIZ_EXTRA_SCENES entry {shown} is not 'module:SceneName' or 'file.py:SceneName'")
        if not _identifier(name):
            raise ValueError(f"CNNVIZ_EXTRA_SCENES entry {shown}: {printable(repr(name), limit=80)} is not a "
                             "Python identifier (a scene is a class name)")
        if len(name.encode("utf-8")) > MAX_NAME_BYTES:
            raise ValueError(f"CNNVIZ_EXTRA_SCENES entry {shown}: the scene name is {len(name.encode('utf-8')):,} "
                             f"bytes long; at most {MAX_NAME_BYTES} (it becomes file names)")
        if _is_path(module):
            path = Path(module).expanduser().resolve()
            where = printable(str(path), limit=120)
            if path.suffix != ".py":
                raise ValueError(f"CNNVIZ_EXTRA_SCENES entry {shown}: {printable(repr(module), limit=80)} is not a "
                                 "Python file (.py)")
            if not path.is_file():
                raise ValueError(f"CNNVIZ_EXTRA_SCENES entry {shown}: no such file {where}")
            try:
                defined = source_facts(path).classes
            except (OSError, SyntaxError, ValueError) as exc:
                why = f"line {exc.lineno}: {exc.msg}" if isinstance(exc, SyntaxError) else str(exc)
                raise ValueError(f"CNNVIZ_EXTRA_SCENES entry {shown}: cannot read {where} "
                                 f"({printable(why, limit=120)})") from None
            if name not in defined:
                raise ValueError(f"CNNVIZ_EXTRA_SCENES entry {shown}: {where} defines no class {name}")
            spec = SceneSpec(name, 0, "extra", None, file_module_name(str(path)), str(path))
        else:
            if not all(_identifier(part) for part in module.split(".")):
                raise ValueError(f"CNNVIZ_EXTRA_SCENES entry {shown}: {printable(repr(module), limit=80)} is not a "
                                 "module name (dotted Python identifiers) nor a path to a .py file")
            spec = SceneSpec(name, 0, "extra", None, module)
        other = catalog.get(name) or specs.get(name)
        if other is not None and other.module_name != spec.module_name:
            raise ValueError(f"CNNVIZ_EXTRA_SCENES entry {shown}: {name} is already the scene of "
                             f"{other.module_name} (scene names are unique: they name the output files)")
        if other is None:
            specs[name] = spec  # the same entry twice is listed once
    return list(specs.values())


def all_specs(include_planned: bool = False) -> list[SceneSpec]:
    """Catalog order; only implemented scenes unless ``include_planned``, then the extras."""
    specs = [s for s in CATALOG if include_planned or is_implemented(s)]
    return specs + extra_specs()


def get(name: str) -> SceneSpec:
    for spec in all_specs(include_planned=True):
        if spec.name == name:
            return spec
    raise KeyError(name)
