"""Diagnostics of the logging machinery itself: one line on stderr, never an exception.

Logging must not raise into the host and must not log about itself through the path that is
failing, so problems are written straight to the process's stderr.
"""

from __future__ import annotations

import sys

__all__ = ["complain", "complain_once"]

_seen: set[str] = set()


def complain(message: str) -> None:
    """Write ``msc-logging: <message>`` as one line to stderr, ignoring any failure.

    Args:
        message: What went wrong, naming the path or value concerned.
    """
    stream = sys.stderr if sys.stderr is not None else sys.__stderr__
    if stream is None:
        return
    try:
        stream.write(f"msc-logging: {message}\n")
        stream.flush()
    except Exception:  # a broken stderr leaves nowhere to report: stay quiet
        return


def complain_once(key: str, message: str) -> None:
    """Like `complain`, but only the first time ``key`` is seen in this process.

    Args:
        key: Identifies the kind of problem (e.g. the exception type and where it happened).
        message: The line to write.
    """
    # No lock (a lock held at fork time would deadlock the child): at worst a race prints twice.
    if key in _seen:
        return
    _seen.add(key)
    complain(message)
