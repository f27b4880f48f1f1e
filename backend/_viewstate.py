"""Saved views: what the page shows of one log directory, kept across restarts.

One JSON file per log directory, ``<state_dir>/views/<sha256 of the directory's real path>.json``
holding ``{"log_dir": <that path>, "state": <the page's object>}``, written atomically (a
temporary file beside it, then a rename) and private to the user (0600). It lives in the
viewer's own state directory (`backend._dirs.ViewerDirs`), never in the directory shown.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

from backend._app import CommandError
from shared.writer.setup import get_logger

__all__ = ["MAX_STATE_BYTES", "load_view", "save_view", "view_file"]

#: Largest saved state (its compact JSON): search, filters, marks and widths fit many times over.
MAX_STATE_BYTES = 256 * 1024
_log = get_logger(__name__)


def view_file(state_dir: Path, log_dir: Path) -> Path:
    """Where the view of ``log_dir`` is kept (named by a hash of its real path)."""
    shown = os.fsencode(os.path.realpath(log_dir))
    return state_dir / "views" / f"{hashlib.sha256(shown).hexdigest()}.json"


def load_view(state_dir: Path, log_dir: Path) -> dict[str, Any]:
    """The state saved for ``log_dir``; ``{}`` when there is none or it cannot be read (a
    damaged file is reported in the viewer's own log)."""
    path = view_file(state_dir, log_dir)
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, orjson.JSONDecodeError) as exc:
        _log.warning("saved view unreadable", category="system", path=str(path), error=str(exc))
        return {}
    state = data.get("state") if isinstance(data, dict) else None
    if not isinstance(state, dict):
        _log.warning("saved view unreadable", category="system", path=str(path), error="no state")
        return {}
    return state


def save_view(state_dir: Path, log_dir: Path, state: dict[str, Any]) -> None:
    """Replace the state saved for ``log_dir`` with ``state``, atomically.

    Raises:
        CommandError: ``invalid_args`` when ``state`` is larger than `MAX_STATE_BYTES`;
            ``permission_denied`` when the state directory lies inside the directory shown
            (the viewer writes nothing there).
    """
    size = len(orjson.dumps(state))
    if size > MAX_STATE_BYTES:
        raise CommandError(
            "invalid_args", f"state: at most {MAX_STATE_BYTES} bytes as JSON, got {size}"
        )
    path = view_file(state_dir, log_dir)
    if _inside(path.parent, log_dir):
        raise CommandError(
            "permission_denied",
            f"views are not saved: the viewer's state directory {state_dir} is inside the "
            f"log directory shown ({log_dir}), which the viewer never writes",
        )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    payload = orjson.dumps({"log_dir": os.path.realpath(log_dir), "state": state})
    _write_atomically(path, payload)


def _inside(directory: Path, log_dir: Path) -> bool:
    shown = Path(os.path.realpath(log_dir))
    if not shown.is_dir():
        shown = shown.parent  # one log file shown: its directory
    return Path(os.path.realpath(directory)).is_relative_to(shown)


def _write_atomically(path: Path, payload: bytes) -> None:
    fd, temporary = tempfile.mkstemp(prefix=".view-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
