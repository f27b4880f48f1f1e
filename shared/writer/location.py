"""Where a record comes from: ``file.py:line`` of the first frame outside the library.

Walking frames is the cost of ``include_location``, so both lookups are cached: which files are
internal (by file name, a string whose hash is cached, not by code object, whose hash is
recomputed on every lookup) and the text of each call site already seen, by ``id`` of its code
object and then instruction offset (`SITES`), which the renderer reads inline: a known call site
costs two dict lookups and no call.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from types import CodeType, FrameType

import structlog

__all__ = ["NO_SITES", "SITES", "caller_source", "outside_frame"]


def _internal_prefixes() -> tuple[str, ...]:
    # The whole `shared` package (this file is in shared/writer/), not only the writer.
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    library = os.path.dirname(os.path.abspath(structlog.__file__))
    return (here + os.sep, library + os.sep)


_INTERNAL = _internal_prefixes()
_CONTEXTLIB = contextlib.__file__
# co_filename → "file.py", or None for our own and structlog's files; bounded.
_places: dict[str, str | None] = {}
_UNKNOWN = "\0"  # not a file name: marks a miss in _places
#: id(code) → {f_lasti: "file.py:line"} of the call sites already seen in code outside the
#: library; bounded (cleared in place, never rebound: the renderer holds its ``get``). A nested
#: dict: no tuple key to build per lookup.
SITES: dict[int, dict[int, str]] = {}
#: What ``SITES.get`` defaults to: code not seen yet, or internal (the walk goes on outwards).
NO_SITES: dict[int, str] = {}
_SITES_LIMIT = 8192
# The code objects whose ids key SITES, kept alive so an id cannot be reused meanwhile.
_codes: list[CodeType] = []
_lock = threading.Lock()


def _classify(filename: str) -> str | None:
    internal = filename.startswith(_INTERNAL) or filename == _CONTEXTLIB
    place = None if internal else os.path.basename(filename)
    if len(_places) >= 8192:  # exec'd code with made-up names must not grow this forever
        _places.clear()
    _places[filename] = place
    return place


def caller_source(frame: FrameType | None) -> str | None:
    """Return ``file.py:line`` of the first frame from ``frame`` outwards that is not ours.

    Frames of this package, of structlog and of contextlib (span ``with`` blocks) are skipped.

    Args:
        frame: Where to start, usually the renderer's caller.

    Returns:
        The location, or None when every frame is internal.
    """
    lookup = _places.get
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        place = lookup(filename, _UNKNOWN)
        if place is _UNKNOWN:
            place = _classify(filename)
        if place is not None:
            return _site(code, frame.f_lasti, place, frame)
        frame = frame.f_back
    return None


def _site(code: CodeType, lasti: int, place: str, frame: FrameType) -> str:
    # Per call site (code, instruction): f_lineno decodes the line table every time.
    sites = SITES.get(id(code))
    if sites is None:
        sites = _add_code(code)
    text = sites.get(lasti)
    if text is None:
        text = sites[lasti] = f"{place}:{frame.f_lineno}"
    return text


def _add_code(code: CodeType) -> dict[int, str]:
    # Under the lock, every id in SITES has its code object in _codes (the renderer reads SITES
    # without it): an id found there is the code's it was cached for.
    with _lock:
        sites = SITES.get(id(code))
        if sites is None:
            if len(_codes) >= _SITES_LIMIT:  # exec'd code, generated functions: bounded
                SITES.clear()
                _codes.clear()
            sites = SITES[id(code)] = {}
            _codes.append(code)
        return sites


def outside_frame() -> FrameType | None:
    """Return the innermost frame of the calling program, outside this library and structlog."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if (_places[filename] if filename in _places else _classify(filename)) is not None:
            return frame
        frame = frame.f_back
    return None
