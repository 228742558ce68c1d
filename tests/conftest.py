"""Test-wide settings: Hypothesis runs a fixed, reproducible set of examples unless asked to search.

``make test`` (and CI) use the ``ci`` profile: ``derandomize=True`` and no example
database, so every run draws the same examples and a green run stays green.
The open-ended search is ``make fuzz`` (``CNNVIZ_FUZZ=N``): the ``fuzz`` profile
draws new random examples on every run, N times as many per test (see
:func:`tests.helpers.examples`), and prints the ``@example`` to add for anything
it finds. Every case that ever failed stays in the tests as an explicit ``@example``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile(
    "fuzz",
    derandomize=False,
    database=None,
    deadline=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink, Phase.explain],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.load_profile("fuzz" if os.environ.get("CNNVIZ_FUZZ") else "ci")


def pytest_configure(config):
    """Each pytest process (one per core under ``make test``) gets its own Manim media folder: Manim
    writes a text's SVG into ``media/texts`` without a lock, and two processes drawing the same text
    at once could read each other's half-written file."""
    import tempfile
    from pathlib import Path

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    media = Path(tempfile.gettempdir()) / f"cnnviz-test-media-{os.getuid()}-{os.getpid()}-{worker}"
    from manim import config as manim_config

    manim_config.media_dir = str(media)
    config._cnnviz_media = media


def pytest_unconfigure(config):
    import shutil

    media = getattr(config, "_cnnviz_media", None)
    if media is not None:
        shutil.rmtree(media, ignore_errors=True)
