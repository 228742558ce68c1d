"""cnnviz: Manim animations of a CNN course, every number computed by a tested NumPy core.

``cnnviz.core`` (NumPy only) is safe to import anywhere; the drawings
(``cnnviz.drawings``, ``cnnviz.formula``) import Manim.
"""

__version__ = "0.1.0"
