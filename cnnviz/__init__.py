"""cnnviz: Manim animations of a CNN course, every number computed by a tested NumPy core.

``cnnviz.core`` (NumPy only) is safe to import anywhere; the drawings
(``cnnviz.drawings``, ``cnnviz.formula``) import Manim.

Python and Jupyter (:mod:`cnnviz.api`; importing ``cnnviz`` stays light — Manim is
imported by the first render)::

    import cnnviz
    cnnviz.render("ConvExampleExplainedClean", x=[[1, 2, 0], [0, 1, 3], [2, 2, 1]])  # → Path
    cnnviz.show("FeatureDetectionGray", photo="my_cat.png")                        # inline
    cnnviz.explore("OutputSizeFormula")                                            # controls
"""

__version__ = "0.1.0"

_API = ("render", "show", "explore", "parameters")


def __getattr__(name: str):
    if name in _API:  # imported by name: the cache key of a scene (which follows imports) does not include the API
        import importlib

        return getattr(importlib.import_module("cnnviz.api"), name)
    raise AttributeError(f"module 'cnnviz' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_API])
