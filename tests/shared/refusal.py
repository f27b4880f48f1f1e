"""Real permission errors in tests that run as root: files of mode 000 that the kernel refuses.

Root passes file modes by two capabilities, ``CAP_DAC_OVERRIDE`` and ``CAP_DAC_READ_SEARCH``.
`refused` takes them out of the *effective* set of the calling thread only (``capset(2)`` with
pid 0 acts on the calling thread; they stay permitted, so they are put back afterwards): inside
it, ``open`` of a mode-000 file fails with ``EACCES`` as for any user on another user's logs.
Threads started inside it (a command's follower) inherit the reduced set. Run as another user,
the mode alone does it and the capabilities are left alone. `WITHOUT_DAC` does the same for a
child process (util-linux ``setpriv``, as tests/native/test_indicators.py).

Imported by tests beside it and in tests/backend, which put this directory on ``sys.path``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator
from pathlib import Path

#: Drops root's power over file modes for the command that follows (empty when not root).
WITHOUT_DAC: tuple[str, ...] = (
    (
        "setpriv",
        "--inh-caps=-dac_override,-dac_read_search",
        "--bounding-set=-dac_override,-dac_read_search",
        "--",
    )
    if os.geteuid() == 0
    else ()
)

_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_DAC = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


@contextlib.contextmanager
def _without_dac_in_this_thread() -> Iterator[None]:
    libc = ctypes.CDLL(None, use_errno=True)
    header, data = _Header(_LINUX_CAPABILITY_VERSION_3, 0), (_Data * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    saved = data[0].effective
    data[0].effective = saved & ~_DAC
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
    try:
        yield
    finally:
        data[0].effective = saved
        libc.capset(ctypes.byref(header), data)


@contextlib.contextmanager
def refused(*paths: Path) -> Iterator[None]:
    """Make ``paths`` unreadable to this thread (mode 000, root's exemption dropped) meanwhile."""
    modes = [path.stat().st_mode & 0o7777 for path in paths]
    for path in paths:
        path.chmod(0)
    try:
        with _without_dac_in_this_thread() if os.geteuid() == 0 else contextlib.nullcontext():
            for path in paths:  # the refusal is the kernel's, or the test proves nothing
                with contextlib.suppress(PermissionError), path.open("rb"):
                    raise AssertionError(f"{path} is still readable")
            yield
    finally:
        for path, mode in zip(paths, modes, strict=True):
            path.chmod(mode)
