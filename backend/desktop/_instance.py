"""One window per directory: a second launch brings the first window to the front.

The viewer holding a directory's one-instance lock (`InstanceLock`) also listens on a Unix socket
beside the lock, in the viewer's runtime directory (private to the user, mode 0700; nothing
listens on the network). A second launch on that directory connects, sends ``focus``, and exits
once the first viewer has answered ``ok`` — without opening a window or writing to any log.

A socket path is limited to about 100 bytes; a longer one (a deep ``$XDG_RUNTIME_DIR``) is
reached through ``/proc/self/fd/<directory descriptor>/<name>`` on Linux.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from shared.writer.setup import get_logger

__all__ = ["FocusServer", "ask_to_focus", "socket_path"]

REQUEST = b"focus\n"
ANSWER = b"ok\n"
#: Longest socket path bound directly (``sun_path`` holds 108 bytes on Linux, 104 elsewhere).
_MAX_PATH = 100
_log = get_logger(__name__)


def socket_path(lock_file: Path) -> Path:
    """The socket of the viewer holding ``lock_file`` (same name, ``.sock``)."""
    return lock_file.with_suffix(".sock")


@contextlib.contextmanager
def _address(path: Path) -> Iterator[str]:
    """A path to bind or connect to for ``path``, short enough for ``sun_path``."""
    if len(os.fsencode(path)) <= _MAX_PATH or not Path("/proc/self/fd").is_dir():
        yield str(path)
        return
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{directory}/{path.name}"
    finally:
        os.close(directory)


class FocusServer:
    """Answers ``focus`` requests on ``path`` by calling ``on_focus`` (from its own thread).

    Args:
        path: The socket (`socket_path` of the lock this viewer holds: only the lock holder may
            remove a stale socket and bind a new one).
        on_focus: Brings the window to the front; must be safe to call from any thread.
    """

    def __init__(self, path: Path, on_focus: Callable[[], None]) -> None:
        self.path = path
        self._on_focus = on_focus
        self._server: socket.socket | None = None

    def start(self) -> None:
        """Listen (replacing the socket a crashed viewer left) and serve in a daemon thread.

        Raises:
            OSError: The socket cannot be created.
        """
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with _address(self.path) as address:
                server.bind(address)
            server.listen(4)
        except OSError:
            server.close()
            raise
        self._server = server
        threading.Thread(target=self._serve, args=(server,), name="msc-focus", daemon=True).start()

    def _serve(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:  # closed by `close`
                return
            with client:
                client.settimeout(2)
                try:
                    if client.recv(len(REQUEST)) != REQUEST:
                        continue
                    self._on_focus()
                    client.sendall(ANSWER)
                    _log.info("viewer brought to the front by a second launch", category="system")
                except Exception:  # a client that went away must not end the server
                    _log.exception("focus request failed", category="system")

    def close(self) -> None:
        """Stop listening and remove the socket."""
        server, self._server = self._server, None
        if server is None:
            return
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)
        server.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def ask_to_focus(path: Path, timeout: float = 5.0) -> bool:
    """Ask the viewer listening on ``path`` to come to the front; whether it answered."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(timeout)
            with _address(path) as address:
                client.connect(address)
            client.sendall(REQUEST)
            return client.recv(len(ANSWER)) == ANSWER
    except OSError:  # no socket (an older viewer, a crash), refused, or no answer in time
        return False
