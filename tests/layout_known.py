"""The layout rules each scene still breaks: the expected failures of tests/test_scenes.py.

``test_layout`` (the notebook's example) and ``test_layout_other_example`` (tests/layout_examples.py)
run every rule of :mod:`cnnviz.layout` on every scene; a (scene, rule) listed here is an expected
failure, **strict**: once a scene is fixed for a rule, its test passes, which fails the run until the
entry is deleted. So this list only shrinks. /work/briefs/layout_status.md details each problem
(which text, which size, which step). ``hidden`` is listed for every scene until it declares what it
shows (``CnnvizScene.must_show``).
"""

from __future__ import annotations

#: scene → the rules it still breaks with the notebook's example
KNOWN: dict[str, tuple[str, ...]] = {
}

#: scene → the rules it still breaks with its other example (tests/layout_examples.py); every rule for a
#: scene without one (NO_OTHER_EXAMPLE there)
KNOWN_OTHER: dict[str, tuple[str, ...]] = {
}


def unexpected(scene: str, problems: list) -> list:
    """The problems of ``scene`` (with any example) whose rule is not listed for it in either table: the
    extra examples of the chapter tests may break only what is already known."""
    known = set(KNOWN.get(scene, ())) | set(KNOWN_OTHER.get(scene, ()))
    return [p for p in problems if p.kind not in known]
