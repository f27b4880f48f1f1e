"""Drag and drop onto the window: a dropped log file or folder opens as File ▸ Open opens it.

Each dropped file or folder goes through the window's `LogOpener` (a window of its own for that
location, or the one already showing it brought forward; remembered for Open Recent), in drop
order and at most `MAX_DROPPED` per drop: a window shows one log, so dropping three folders means
wanting three windows, as a file manager opens each file of a selection; the limit keeps a
dropped selection of a hundred files from starting a hundred browser engines. What became of the
drop goes to the page as a `DROP_EVENT` event (frontend/js/drop.js shows it): per path
``{path, ok: {path, pid}}`` or ``{path, error: {code, message}}`` (``open_log_location``'s error
shape), the dropped URLs that are no local files (``others``) and how many paths were over the
limit (``not_opened``).

How the drop is caught (Qt): a Qt event filter on the ``QWebEngineView``. Under Qt 6 that view is
where a drag from another application ends up (its focus-proxy child does not accept drags, so
they propagate to the view), and only Qt sees the full paths: the page gets ``File`` objects
with names only. pywebview's own route pairs the paths its view records with those ``File``
objects by base name, through a DOM ``drop`` listener registered from Python that every reload
removes; the filter needs neither the page nor names. It claims every drag from another
application that carries URLs, so Chromium never sees them: unclaimed, Chromium asks pywebview
for a new window on a dropped URL or file, which pywebview hands to the system browser. Plain
text is left to Chromium (it can go into the search box), and navigation on drop is switched off
for whatever else Chromium might turn into a URL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import webview

from backend._app import CommandError
from backend._events import Emitter
from backend.desktop._open import LogOpener
from shared.writer.setup import get_logger

__all__ = [
    "DROP_EVENT",
    "MAX_DROPPED",
    "DropOpener",
    "Dropped",
    "dropped_urls",
    "install_drop_target",
    "open_dropped",
]

#: The event telling the page what became of a drop.
DROP_EVENT = "drop-result"
#: Most logs one drop opens (each in a window, i.e. a browser engine, of its own).
MAX_DROPPED = 5
_log = get_logger(__name__)


@dataclass(frozen=True)
class Dropped:
    """What one drop brought: local paths, in drop order, and the other URLs (web addresses,
    files on other hosts)."""

    paths: tuple[str, ...]
    others: tuple[str, ...]


def dropped_urls(urls: Iterable[str]) -> Dropped:
    """Split the percent-encoded URLs of a drop (``text/uri-list``) into local paths and others.

    A ``file:`` URL with no host (or ``localhost``) is a local path; its bytes that are not
    UTF-8 come back as surrogate escapes, as ``os.fsdecode`` gives them.
    """
    paths: list[str] = []
    others: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.netloc in ("", "localhost") and parts.path:
            paths.append(unquote(parts.path, errors="surrogateescape"))
        else:
            others.append(url)
    return Dropped(tuple(paths), tuple(others))


def open_dropped(opener: LogOpener, dropped: Dropped) -> dict[str, Any]:
    """Open the first `MAX_DROPPED` paths of a drop, each as ``open_log_location`` would.

    Returns:
        The `DROP_EVENT` payload: ``{results, others, not_opened, max}``.
    """
    results = [_open_one(opener, path) for path in dropped.paths[:MAX_DROPPED]]
    return {
        "results": results,
        "others": list(dropped.others),
        "not_opened": max(0, len(dropped.paths) - MAX_DROPPED),
        "max": MAX_DROPPED,
    }


def _open_one(opener: LogOpener, path: str) -> dict[str, Any]:
    try:
        return {"path": path, "ok": opener.open(path)}
    except CommandError as exc:
        _log.warning("dropped log not opened", category="user", path=path, reason=exc.message)
        return {"path": path, "error": exc.to_dict()}
    except Exception:  # as the dispatcher: traceback to the log, a generic error to the page
        _log.exception("opening a dropped log failed", category="system", path=path)
        internal = CommandError("internal", "internal error; see the log")
        return {"path": path, "error": internal.to_dict()}


class DropOpener:
    """Opens what a drop brought on a thread of its own, then tells ``client``'s page.

    The GUI thread only hands the drop over: starting viewer processes and writing the recent
    list are not for it to wait on.

    Args:
        opener: The window's opener (File ▸ Open's).
        emitter: Where the `DROP_EVENT` goes.
        client: The window's client id.
    """

    def __init__(self, opener: LogOpener, emitter: Emitter, client: str) -> None:
        self._opener = opener
        self._emitter = emitter
        self._client = client

    def __call__(self, dropped: Dropped) -> None:
        """Start opening ``dropped`` (returns at once)."""
        threading.Thread(target=self._run, args=(dropped,), name="msc-drop", daemon=True).start()

    def _run(self, dropped: Dropped) -> None:
        _log.info(
            "dropped onto the window", category="user",
            paths=len(dropped.paths), others=len(dropped.others),
        )  # fmt: skip
        self._emitter.emit(DROP_EVENT, open_dropped(self._opener, dropped), to={self._client})


def install_drop_target(window: webview.Window, on_drop: Callable[[Dropped], None]) -> bool:
    """Catch drops on ``window``'s web view (Qt; call on the GUI thread, e.g. ``before_show``).

    Returns:
        Whether it was installed: False on another GUI toolkit or before the view exists.
    """
    view = getattr(getattr(window, "native", None), "webview", None)
    if view is None:
        return False
    try:
        from qtpy.QtWebEngineCore import QWebEngineSettings  # noqa: PLC0415 - Qt only
    except ImportError:  # another GUI toolkit (pywebview on Windows or macOS)
        return False
    view.page().settings().setAttribute(
        QWebEngineSettings.WebAttribute.NavigateOnDropEnabled, False
    )
    # Parented to the view: Qt keeps the filter (and PyQt its Python side) as long as the view.
    view.installEventFilter(_drop_filter_class()(on_drop, view))
    return True


def _drop_filter_class() -> Any:
    """The event filter's class (defined on first use: it needs Qt)."""
    from qtpy.QtCore import QEvent, QObject  # noqa: PLC0415 - Qt only

    drag = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)

    class DropFilter(QObject):
        def __init__(self, on_drop: Callable[[Dropped], None], parent: Any) -> None:
            super().__init__(parent)
            self._on_drop = on_drop
            self._claimed = False

        def eventFilter(self, watched: Any, event: Any) -> bool:
            try:
                return self._filter(event)
            except Exception:  # escaping into Qt, it would abort the process (PyQt's rule)
                _log.exception("drop handling failed", category="system")
                return False

        def _filter(self, event: Any) -> bool:
            """Whether ``event`` is a drag this filter takes (Chromium then never sees it)."""
            kind = event.type()
            if kind == QEvent.Type.DragLeave:
                claimed, self._claimed = self._claimed, False
                return claimed
            if kind not in drag:
                return False
            if kind == QEvent.Type.DragEnter:
                self._claimed = _claims(event)
            claimed = self._claimed
            if claimed:
                self._answer(event, drop=kind == QEvent.Type.Drop)
            return claimed

        def _answer(self, event: Any, *, drop: bool) -> None:
            action = _safe_action(event.possibleActions())
            if action is None:
                event.ignore()
                return
            event.setDropAction(action)
            event.accept()
            if drop:
                self._claimed = False
                urls = [bytes(url.toEncoded()).decode("ascii") for url in event.mimeData().urls()]
                self._on_drop(dropped_urls(urls))

    return DropFilter


def _claims(event: Any) -> bool:
    # A drag from another application (a file manager's files, a browser's link). The page's
    # own drags (selected text, a link in it) have a source here and stay Chromium's.
    return event.source() is None and bool(event.mimeData().hasUrls())


def _safe_action(possible: Any) -> Any:
    """Copy, else Link; never Move, which would make the source delete what was dropped."""
    from qtpy.QtCore import Qt  # noqa: PLC0415 - Qt only

    for action in (Qt.DropAction.CopyAction, Qt.DropAction.LinkAction):
        if possible & action:
            return action
    return None
