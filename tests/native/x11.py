"""Close a window the way a window manager does: a ``WM_DELETE_WINDOW`` client message.

This is what clicking the title bar's close button sends, so the app goes through its real
close path (Qt ``closeEvent`` → pywebview ``closing``/``closed``). Done with ctypes on libX11
(always present where Qt's xcb platform runs) instead of xdotool, whose Debian version has no
``windowclose``/``windowquit``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from ctypes import POINTER, byref, c_char_p, c_int, c_long, c_ubyte, c_uint, c_ulong, c_void_p
from typing import Any

__all__ = ["send_close", "stacking_titles", "top_level_windows", "xlib"]

_CLIENT_MESSAGE = 33
_NO_EVENT_MASK = 0


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", c_int),
        ("serial", c_ulong),
        ("send_event", c_int),
        ("display", c_void_p),
        ("window", c_ulong),
        ("message_type", c_ulong),
        ("format", c_int),
        ("data", c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", c_long * 24)]


#: Xlib's default error handler ends the process, pytest with it, silently (exit code 1) on any
#: protocol error: BadWindow for a window that closed between `XQueryTree` and a question about
#: it, as windows come and go in the drop tests. Ignored instead: the call then reports failure
#: (a non-zero status, no data) and callers treat the window as gone.
_IGNORE_ERRORS = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p)(lambda display, event: 0)


def xlib() -> ctypes.CDLL:
    """libX11 with the prototypes these helpers use, protocol errors ignored (not fatal)."""
    lib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    lib.XSetErrorHandler.argtypes = [c_void_p]
    lib.XSetErrorHandler(_IGNORE_ERRORS)
    lib.XOpenDisplay.restype = c_void_p
    lib.XOpenDisplay.argtypes = [c_char_p]
    lib.XDefaultRootWindow.restype = c_ulong
    lib.XDefaultRootWindow.argtypes = [c_void_p]
    lib.XInternAtom.restype = c_ulong
    lib.XInternAtom.argtypes = [c_void_p, c_char_p, c_int]
    out: list[Any] = [c_void_p] * 5  # out-parameters
    lib.XQueryTree.argtypes = [c_void_p, c_ulong, *out[:4]]
    lib.XGetWindowProperty.argtypes = [
        c_void_p,
        c_ulong,
        c_ulong,
        c_long,
        c_long,
        c_int,
        c_ulong,
        *out,
    ]
    lib.XSendEvent.argtypes = [c_void_p, c_ulong, c_int, c_long, c_void_p]
    lib.XFetchName.argtypes = [c_void_p, c_ulong, c_void_p]
    lib.XGetGeometry.argtypes = [c_void_p, c_ulong, *[c_void_p] * 7]
    lib.XFree.argtypes = [c_void_p]
    lib.XFlush.argtypes = [c_void_p]
    lib.XCloseDisplay.argtypes = [c_void_p]
    return lib


def _property(lib: ctypes.CDLL, dpy: int, window: int, atom: int) -> list[int]:
    """A window's 32-bit list property (CARDINAL or ATOM) as Python ints; [] when unset."""
    kind, fmt, count, after = c_ulong(), c_int(), c_ulong(), c_ulong()
    data = POINTER(c_ubyte)()
    any_type = 0
    status = lib.XGetWindowProperty(
        dpy, window, atom, 0, 64, 0, any_type, byref(kind), byref(fmt), byref(count),
        byref(after), byref(data),
    )  # fmt: skip
    if status != 0 or not data:
        return []
    try:
        if fmt.value != 32:
            return []
        # Format-32 items come back as C longs (Xlib's rule), whatever their wire size.
        values = ctypes.cast(data, POINTER(c_long))
        return [values[i] & 0xFFFFFFFF for i in range(count.value)]
    finally:
        lib.XFree(data)


def _name(lib: ctypes.CDLL, dpy: int, window: int) -> str:
    """The window's title (``WM_NAME``), or "" when it has none."""
    name = c_char_p()
    if not lib.XFetchName(dpy, window, byref(name)) or not name.value:
        return ""
    try:
        return name.value.decode("latin-1")
    finally:
        lib.XFree(name)


def _title(lib: ctypes.CDLL, dpy: int, window: int) -> str:
    """The window's UTF-8 title (``_NET_WM_NAME``, which Qt sets), else its ``WM_NAME``."""
    atom = lib.XInternAtom(dpy, b"_NET_WM_NAME", 0)
    kind, fmt, count, after = c_ulong(), c_int(), c_ulong(), c_ulong()
    data = POINTER(c_ubyte)()
    status = lib.XGetWindowProperty(
        dpy, window, atom, 0, 1024, 0, 0, byref(kind), byref(fmt), byref(count),
        byref(after), byref(data),
    )  # fmt: skip
    if status != 0 or not data:
        return _name(lib, dpy, window)
    try:
        if fmt.value != 8:
            return _name(lib, dpy, window)
        return ctypes.string_at(data, count.value).decode("utf-8", "replace")
    finally:
        lib.XFree(data)


def top_level_windows(lib: ctypes.CDLL, dpy: int) -> list[int]:
    """The root window's children on display ``dpy`` (Xlib ``lib``)."""
    root, parent = c_ulong(), c_ulong()
    children, count = POINTER(c_ulong)(), c_uint()
    lib.XQueryTree(
        dpy, lib.XDefaultRootWindow(dpy), byref(root), byref(parent), byref(children), byref(count)
    )
    if not children:
        return []
    try:
        return [children[i] for i in range(count.value)]
    finally:
        lib.XFree(children)


def send_close(display: str, pid: int, title: str | None = None) -> int:
    """Send ``WM_DELETE_WINDOW`` to every top-level window of process ``pid`` that accepts it.

    Args:
        display: The X display, e.g. ``":99"``.
        pid: The process whose windows to close (``_NET_WM_PID``).
        title: Only windows whose title contains this (e.g. a dialog, not the main window).

    Returns:
        How many windows were sent the message.
    """
    lib = xlib()
    dpy = lib.XOpenDisplay(display.encode())
    if not dpy:
        raise OSError(f"cannot open X display {display}")
    try:
        atoms = {
            name: lib.XInternAtom(dpy, name.encode(), 0)
            for name in ("_NET_WM_PID", "WM_PROTOCOLS", "WM_DELETE_WINDOW")
        }
        sent = 0
        for window in top_level_windows(lib, dpy):
            if _property(lib, dpy, window, atoms["_NET_WM_PID"]) != [pid]:
                continue
            if atoms["WM_DELETE_WINDOW"] not in _property(lib, dpy, window, atoms["WM_PROTOCOLS"]):
                continue
            if title is not None and title not in _title(lib, dpy, window):
                continue
            event = _XEvent()
            event.xclient.type = _CLIENT_MESSAGE
            event.xclient.window = window
            event.xclient.message_type = atoms["WM_PROTOCOLS"]
            event.xclient.format = 32
            event.xclient.data[0] = atoms["WM_DELETE_WINDOW"]
            lib.XSendEvent(dpy, window, 0, _NO_EVENT_MASK, byref(event))
            sent += 1
        lib.XFlush(dpy)
        return sent
    finally:
        lib.XCloseDisplay(dpy)


def stacking_titles(display: str, containing: str) -> list[str]:
    """Titles of the top-level windows whose title contains ``containing``, bottom to top.

    Without a window manager (Xvfb) the root's children are the top-level windows, and
    ``XQueryTree`` lists them in stacking order: the last one is in front.
    """
    lib = xlib()
    dpy = lib.XOpenDisplay(display.encode())
    if not dpy:
        raise OSError(f"cannot open X display {display}")
    try:
        names = (_title(lib, dpy, window) for window in top_level_windows(lib, dpy))
        return [name for name in names if containing in name]
    finally:
        lib.XCloseDisplay(dpy)
