"""`ViewerDirs`: where the viewer keeps its own things, never inside the directory it shows.

The viewer is a pure reader of the log directory it shows. Its own records (start-up, command
audit, errors), its one-instance locks and its window geometry live in per-user directories from
platformdirs (on Linux: ``$XDG_STATE_HOME``, ``$XDG_RUNTIME_DIR``, ``$XDG_CONFIG_HOME``):

===========  ==============================================  =====================================
log_dir      ``~/.local/state/midi-software-center/log``      ``msc-logs-viewer.log`` and rotations
state_dir    ``~/.local/state/midi-software-center``          the viewer's state (runtime fallback)
runtime_dir  ``$XDG_RUNTIME_DIR/midi-software-center``        one-instance locks (``viewer-*.lock``)
config_dir   ``~/.config/midi-software-center``               ``window.json``, ``recent.json``
===========  ==============================================  =====================================

Built once at the entry point (`ViewerDirs.for_user`) and passed down. This module imports
neither pydantic nor Qt: ``msc-logs query`` uses it for the default directory and ``--own-log``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from platformdirs import PlatformDirs

__all__ = ["VENDOR", "VIEWER_APP_NAME", "ViewerDirs", "default_log_dir", "same_directory"]

#: The platformdirs application name of everything the MIDI Software Center keeps per user.
VENDOR = "midi-software-center"
#: The app name of the viewer's own log files: ``<log_dir>/msc-logs-viewer.log``.
VIEWER_APP_NAME = "msc-logs-viewer"
LOCK_PREFIX = "viewer-"


@dataclass(frozen=True)
class ViewerDirs:
    """The viewer's own per-user directories (none of them is created until needed).

    Attributes:
        log_dir: Where the viewer's own log set (`VIEWER_APP_NAME`) is written.
        state_dir: The viewer's persistent state; holds the runtime fallback ``run/``.
        runtime_dir: Short-lived files: the one-instance locks.
        config_dir: Settings: the window geometry (``window.json``).
    """

    log_dir: Path
    state_dir: Path
    runtime_dir: Path
    config_dir: Path

    @classmethod
    def for_user(cls) -> ViewerDirs:
        """The directories platformdirs gives this user (honours the XDG variables on Linux)."""
        import platformdirs  # noqa: PLC0415 -- ~5 ms: only paid by the commands that need it

        dirs = platformdirs.PlatformDirs(VENDOR, appauthor=False)
        state_dir = Path(dirs.user_state_dir)
        return cls(
            log_dir=Path(dirs.user_log_dir),
            state_dir=state_dir,
            runtime_dir=_runtime_dir(dirs, state_dir),
            config_dir=Path(dirs.user_config_dir),
        )

    @property
    def geometry_file(self) -> Path:
        """The window's saved size and position."""
        return self.config_dir / "window.json"

    @property
    def recent_file(self) -> Path:
        """The logs opened lately (File ▸ Open Recent)."""
        return self.config_dir / "recent.json"

    def lock_file(self, shown: Path) -> Path:
        """The one-instance lock of a viewer showing ``shown`` (named by a hash of its path).

        Args:
            shown: The log directory shown, already resolved (symlinks and ``..`` gone), so that
                every spelling of one directory names one lock.
        """
        import hashlib  # noqa: PLC0415 -- loads OpenSSL (1.5 ms or more): the window only

        digest = hashlib.sha256(os.fsencode(shown)).hexdigest()[:32]
        return self.runtime_dir / f"{LOCK_PREFIX}{digest}.lock"

    def is_own_log(self, shown: Path) -> bool:
        """Whether ``shown`` is the viewer's own log directory."""
        return same_directory(shown, self.log_dir)

    def logs_into(self, shown: Path) -> bool:
        """Whether logging into the viewer's own log directory would write inside ``shown``:
        it is that directory or one of its parents (then the viewer logs to the console only)."""
        own = self.log_dir.expanduser().resolve()
        return self.is_own_log(shown) or own.is_relative_to(shown.expanduser().resolve())


def _runtime_dir(dirs: PlatformDirs, state_dir: Path) -> Path:
    # platformdirs accepts $XDG_RUNTIME_DIR only when it is private (0700, ours) and otherwise
    # warns and falls back to /run/user/<uid> or a temporary directory; the warning is noise on a
    # terminal. When even the fallback is refused, the state directory serves.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return Path(dirs.user_runtime_dir)
        except PermissionError:
            return state_dir / "run"


def same_directory(first: Path, second: Path) -> bool:
    """Whether two paths name one directory (after resolving; by inode when both exist)."""
    try:
        return first.samefile(second)
    except OSError:  # one of them does not exist (yet): compare the resolved spellings
        return first.expanduser().resolve() == second.expanduser().resolve()


def default_log_dir() -> Path:
    """The writers' default log directory (``shared.writer.config.default_log_dir``, without
    pydantic)."""
    import platformdirs  # noqa: PLC0415 -- see ViewerDirs.for_user

    return Path(platformdirs.user_data_dir(VENDOR, appauthor=False)) / "logs"
