"""A real drag and drop between two X clients, as a file manager does it (XDND).

`DragSource` is another application: a small Qt window at the screen's top-left corner that,
when pressed, starts a ``QDrag`` with the URLs and text it was given. `Pointer` moves the X
pointer and presses its button through the XTEST extension (libXtst, beside libX11 wherever Qt's
xcb platform runs), so the X server, Qt's XDND code on both sides and the target's widgets do
everything as for a user's drag: the target gets its ``QDragEnterEvent`` … ``QDropEvent`` from
its own event loop. `window_rect` finds where a process's window is on screen.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from ctypes import POINTER, byref, c_int, c_long, c_uint, c_ulong, c_void_p

from x11 import top_level_windows, xlib

__all__ = ["DragSource", "Pointer", "window_rect"]

#: Upper bound on waiting for the other side (never asserted as a timing).
WAIT_S = 30.0
#: Where the source window sits, and the point pressed to start the drag.
SOURCE_RECT = (0, 0, 120, 120)
SOURCE_POINT = (60, 60)

SOURCE_SCRIPT = """
import json, sys
from PyQt6.QtCore import QMimeData, QUrl, Qt
from PyQt6.QtGui import QDrag
from PyQt6.QtWidgets import QApplication, QWidget

offer = json.loads(sys.argv[1])
app = QApplication(sys.argv[:1])

class Source(QWidget):
    painted = False

    def paintEvent(self, event):
        if not self.painted:  # on screen: a press there reaches this window
            self.painted = True
            print("ready", flush=True)

    def mousePressEvent(self, event):
        data = QMimeData()
        if offer["urls"]:
            data.setUrls([QUrl.fromEncoded(url.encode()) for url in offer["urls"]])
        if offer["text"] is not None:
            data.setText(offer["text"])
        drag = QDrag(self)
        drag.setMimeData(data)
        drag.actionChanged.connect(lambda action: print("action", action.name, flush=True))
        print("dragging", flush=True)
        actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction | Qt.DropAction.LinkAction
        print("done", drag.exec(actions).name, flush=True)

source = Source()
source.setWindowTitle("drag source")
source.setGeometry(*offer["rect"])
source.show()
app.exec()
"""


class Pointer:
    """The X server's pointer, moved and pressed through XTEST (as a user's mouse would)."""

    def __init__(self, display: str) -> None:
        self._x = xlib()
        self._xtest = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
        self._xtest.XTestFakeMotionEvent.argtypes = [c_void_p, c_int, c_int, c_int, c_ulong]
        self._xtest.XTestFakeButtonEvent.argtypes = [c_void_p, c_uint, c_int, c_ulong]
        self._dpy = self._x.XOpenDisplay(display.encode())
        if not self._dpy:
            raise OSError(f"cannot open X display {display}")

    def move(self, x: int, y: int) -> None:
        """Put the pointer at screen position ``(x, y)``."""
        self._xtest.XTestFakeMotionEvent(self._dpy, -1, x, y, 0)
        self._x.XFlush(self._dpy)

    def button(self, pressed: bool) -> None:
        """Press or release the left button."""
        self._xtest.XTestFakeButtonEvent(self._dpy, 1, int(pressed), 0)
        self._x.XFlush(self._dpy)

    def close(self) -> None:
        """Let go of the display connection."""
        self._x.XCloseDisplay(self._dpy)


def window_rect(display: str, pid: int) -> tuple[int, int, int, int]:
    """Screen ``(x, y, width, height)`` of the largest top-level window of process ``pid``.

    Without a window manager (Xvfb) top-level windows are the root's children and their
    geometry is their place on screen.
    """
    lib = xlib()
    dpy = lib.XOpenDisplay(display.encode())
    if not dpy:
        raise OSError(f"cannot open X display {display}")
    try:
        wm_pid = lib.XInternAtom(dpy, b"_NET_WM_PID", 0)
        rects = [
            _geometry(lib, dpy, w)
            for w in top_level_windows(lib, dpy)
            if _pid(lib, dpy, w, wm_pid) == pid
        ]
        if not rects:
            raise LookupError(f"no window of pid {pid} on {display}")
        return max(rects, key=lambda r: r[2] * r[3])
    finally:
        lib.XCloseDisplay(dpy)


def _pid(lib: ctypes.CDLL, dpy: int, window: int, atom: int) -> int | None:
    kind, fmt, count, after = c_ulong(), c_int(), c_ulong(), c_ulong()
    data = POINTER(c_long)()
    status = lib.XGetWindowProperty(
        dpy, window, atom, 0, 1, 0, 0, byref(kind), byref(fmt), byref(count), byref(after),
        byref(data),
    )  # fmt: skip
    if status != 0 or not data:
        return None
    try:
        return int(data[0]) & 0xFFFFFFFF if fmt.value == 32 and count.value == 1 else None
    finally:
        lib.XFree(data)


def _geometry(lib: ctypes.CDLL, dpy: int, window: int) -> tuple[int, int, int, int]:
    root, x, y = c_ulong(), c_int(), c_int()
    width, height, border, depth = c_uint(), c_uint(), c_uint(), c_uint()
    lib.XGetGeometry(
        dpy, window, byref(root), byref(x), byref(y), byref(width), byref(height), byref(border),
        byref(depth),
    )  # fmt: skip
    return x.value, y.value, width.value, height.value


class DragSource:
    """Another application offering ``urls`` (percent-encoded) and/or ``text`` to drag.

    Args:
        display: The X display.
        urls: What ``text/uri-list`` carries, e.g. ``file:///tmp/logs``.
        text: What ``text/plain`` carries (Qt also derives it from the URLs when None).
    """

    def __init__(self, display: str, urls: Sequence[str] = (), text: str | None = None) -> None:
        offer = {"urls": list(urls), "text": text, "rect": list(SOURCE_RECT)}
        self.lines: list[str] = []
        self._process = subprocess.Popen(
            [sys.executable, "-c", SOURCE_SCRIPT, json.dumps(offer)],
            env={**os.environ, "DISPLAY": display},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self.lines.append(line.decode(errors="replace").rstrip())

    def wait_line(self, prefix: str, after: int = 0) -> str:
        """The first output line from index ``after`` on starting with ``prefix``.

        Raises:
            TimeoutError: None within `WAIT_S` (with the source's output).
        """
        deadline = time.monotonic() + WAIT_S
        while True:
            found = [line for line in self.lines[after:] if line.startswith(prefix)]
            if found:
                return found[0]
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise TimeoutError(f"drag source never said {prefix!r}: {self.lines}")
            time.sleep(0.05)

    def drop_at(self, pointer: Pointer, x: int, y: int) -> str:
        """Drag from this window to screen point ``(x, y)`` and release there.

        The button is released only once the target has answered (Qt reports the action it
        accepted), as a user's hand would be slower than the XDND round trip anyway.

        Returns:
            The action the drop ended with (``CopyAction``, ``IgnoreAction`` …).
        """
        self.wait_line("ready")
        pointer.move(*SOURCE_POINT)
        pointer.button(True)
        try:
            self.wait_line("dragging")
            mark = len(self.lines)
            pointer.move(x, y)
            pointer.move(x + 1, y + 1)
            self.wait_line("action", after=mark)
        finally:
            pointer.button(False)
        return self.wait_line("done").split()[1]

    def close(self) -> None:
        """End the source application."""
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()
        self._process.wait()
