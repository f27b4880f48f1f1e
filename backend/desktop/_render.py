"""How the window process draws and allocates: set up before Qt starts.

- **No GPU, software scene graph.** Without a GPU (no DRM render node: a virtual X server, most
  VMs, a remote session) Qt's OpenGL is Mesa's llvmpipe, and Qt WebEngine's frames go through
  Qt Quick's OpenGL scene graph and are read back for the widget: scrolling ran at 50 ms a frame
  under Xvfb. Qt Quick's software renderer paints them straight into the widget (about 17 ms;
  `bench/desktop.py`). With a GPU, nothing changes; ``QT_QUICK_BACKEND`` set by the user wins.
- **No V8 compilation cache.** pywebview hands every answer to the page, and the event pump
  every batch of entries, as a script of its own (``evaluate_js``) holding the JSON, and V8
  keeps compiled scripts in a cache though none of these ever runs twice: after 100,000 entries
  were paged in and scrolled through, the renderer held 574 to 601 MB, against 369 MB with
  ``--js-flags=--no-compilation-cache``, frame times unchanged (`bench/desktop.py`).
  ``--js-flags`` of the user's own win.
- **Two malloc arenas.** pywebview answers every call from the page on a thread of its own, and
  glibc gives threads arenas of their own (up to 8 per core) that keep what was freed in them:
  after 100,000 entries were paged into the window, the process held 232 MB of private memory
  instead of 113 MB.
"""

from __future__ import annotations

import sys
from collections.abc import MutableMapping
from pathlib import Path

__all__ = [
    "has_render_node",
    "lean_javascript",
    "limit_malloc_arenas",
    "prepare_drawing",
    "software_without_gpu",
]

#: glibc's ``mallopt`` parameter for the most arenas (malloc.h: ``M_ARENA_MAX``).
M_ARENA_MAX = -8
ARENAS = 2
#: Qt WebEngine reads Chromium's command-line flags from this variable.
CHROMIUM_FLAGS = "QTWEBENGINE_CHROMIUM_FLAGS"
JS_FLAGS = "--js-flags=--no-compilation-cache"


#: Where Linux lists its GPUs' device nodes.
DRI = Path("/dev/dri")


def has_render_node(dri: Path = DRI) -> bool:
    """Whether a GPU can render here: Linux lists one ``renderD*`` node per GPU under ``dri``."""
    try:
        return any(entry.name.startswith("renderD") for entry in dri.iterdir())
    except OSError:
        return False


def software_without_gpu(
    environ: MutableMapping[str, str], platform: str = sys.platform, dri: Path = DRI
) -> bool:
    """On Linux without a GPU, choose Qt Quick's software renderer; returns whether it did."""
    if not platform.startswith("linux") or "QT_QUICK_BACKEND" in environ or has_render_node(dri):
        return False
    environ["QT_QUICK_BACKEND"] = "software"
    return True


def lean_javascript(environ: MutableMapping[str, str]) -> bool:
    """Add `JS_FLAGS` to Qt WebEngine's Chromium flags unless ``--js-flags`` is there already."""
    flags = environ.get(CHROMIUM_FLAGS, "")
    if "--js-flags" in flags:
        return False
    environ[CHROMIUM_FLAGS] = f"{flags} {JS_FLAGS}".strip()
    return True


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas for threads started from now on; False where that is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # noqa: PLC0415 - only the window needs it, not every `msc-logs` command

    try:
        return bool(ctypes.CDLL(None).mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # another C library (musl has no mallopt)
        return False


def prepare_drawing(environ: MutableMapping[str, str]) -> dict[str, object]:
    """All of the above, before Qt starts; returns what was chosen, for the viewer's own log."""
    software_without_gpu(environ)
    lean_javascript(environ)
    return {
        "scene_graph": environ.get("QT_QUICK_BACKEND", "default"),
        "chromium_flags": environ.get(CHROMIUM_FLAGS, ""),
        "gpu": has_render_node(),
        "malloc_arenas": ARENAS if limit_malloc_arenas() else None,
    }
