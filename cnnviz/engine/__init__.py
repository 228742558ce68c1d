"""cnnviz's batch renderer: a library with a thin CLI (``render.py``) over it.

=================  ==========================================================
module             what it answers
=================  ==========================================================
``plan``           which scenes, where each output goes, and **how it is
                   decided that a scene is unchanged** (the cache key)
``manifest``       ``DIR/.cnnviz-manifest.json``: the key each output was
                   rendered with (validated on read, merged on save)
``outputs``        the files under ``--out``: checked before a run, written
                   atomically, leftovers of killed runs cleaned
``execute``        scenes as tasks on dask.distributed (a local cluster or a
                   remote scheduler); outputs written atomically by the client
``worker``         **where a scene is rendered**: ``render_scene(job)``, the
                   Manim side (tempconfig, lossless intermediate, GIF encoding)
``gifenc``         the streaming GIF encoder
=================  ==========================================================

Nothing here knows any scene's content; nothing but ``worker`` imports Manim,
and only ``execute`` imports dask (when there is something to render).
"""
