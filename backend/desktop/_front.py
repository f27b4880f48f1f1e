"""Bringing a pywebview window to the front from any thread (the focus server's).

On Qt, a queued signal runs the work on the GUI thread: the window is un-minimised (keeping its
maximised state, unlike pywebview's ``restore``), raised and activated. Elsewhere, or before Qt has
started, pywebview's ``restore`` is the portable fallback.
"""

from __future__ import annotations

import threading
from typing import Any

import webview

__all__ = ["bring_to_front"]

_lock = threading.Lock()
_raiser: Any = None


def bring_to_front(window: webview.Window) -> None:
    """Show ``window`` above the others and give it the keyboard focus (any thread)."""
    native = getattr(window, "native", None)
    raiser = _qt_raiser() if native is not None else None
    if raiser is None:
        window.restore()
        return
    raiser.requested.emit(native)


def _qt_raiser() -> Any:
    """The GUI thread's raiser (created on first use), or None without a running Qt app."""
    global _raiser  # noqa: PLW0603 - one per process, like the QApplication it lives on
    try:
        from qtpy.QtCore import (  # type: ignore[attr-defined]  # noqa: PLC0415
            QCoreApplication,
            QObject,
            Qt,
            Signal,
            Slot,
        )
    except ImportError:  # another GUI toolkit (pywebview on Windows or macOS)
        return None
    app = QCoreApplication.instance()
    if app is None:
        return None
    with _lock:
        if _raiser is None:

            class Raiser(QObject):
                requested = Signal(object)

                # A real slot: PyQt calls it on the thread the object lives on.
                @Slot(object)  # type: ignore[untyped-decorator]
                def raise_window(self, widget: Any) -> None:
                    state = widget.windowState()
                    widget.setWindowState(state & ~Qt.WindowState.WindowMinimized)
                    widget.show()
                    widget.raise_()
                    widget.activateWindow()

            raiser = Raiser()
            # Created on the caller's thread: move it so its slot runs on the GUI thread.
            raiser.moveToThread(app.thread())
            raiser.requested.connect(raiser.raise_window)
            _raiser = raiser
        return _raiser
