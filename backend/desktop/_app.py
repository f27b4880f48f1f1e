"""`DesktopApp`: one pywebview window wired to the commands, the event pump and its state.

Lifecycle: `run` creates the window, starts the pump (which waits for the page) and enters the GUI
loop on the calling (main) thread. Closing the window saves its geometry and asks the pump to stop
(on the GUI thread, so nothing here may wait for the page); when the loop has returned, `run`
joins the pump, stops the log follower and any demo child, and logs that the viewer closed.
SIGTERM closes the windows the same way.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import webview
from webview.errors import JavascriptException
from webview.guilib import GUIType
from webview.menu import Menu, MenuAction, MenuSeparator

from backend._app import AppContext, CommandError
from backend._dirs import ViewerDirs
from backend._events import Broadcaster
from backend.desktop import ICON_PNG
from backend.desktop._api import (
    DEMO_SECONDS,
    WINDOW_CLIENT,
    DemoRunner,
    OwnLogOpener,
    command_functions,
    desktop_functions,
)
from backend.desktop._drop import DropOpener, install_drop_target
from backend.desktop._open import LogOpener, RecentLogs
from backend.desktop._pump import EventPump
from backend.desktop._state import GeometryKeeper, load_geometry
from shared.writer.setup import get_logger

__all__ = ["CAPABILITIES_SCRIPT", "DesktopApp"]

#: Tells the page what this host offers beyond the commands (the export dialog's "Browse…",
#: the empty state's "Start demo activity").
CAPABILITIES_SCRIPT = (
    "window.__mscCapabilities = Object.assign(window.__mscCapabilities || {}, "
    "{saveDialog: true, demo: true})"
)
TITLE_PREFIX = "MIDI Software Center Logs"
#: The File menu item opening the viewer's own log in a second window.
OPEN_OWN_LOG = "Open the viewer's own log"
MIN_SIZE = (480, 320)
_log = get_logger(__name__)


class DesktopApp:
    """The viewer window on ``log_dir``, serving ``frontend_dir/index.html``.

    ``dirs`` are the viewer's own directories: the window geometry is kept in its config dir, and
    File ▸ Open the viewer's own log opens its log dir in a second window.
    """

    def __init__(
        self, log_dir: Path, app_name: str | None, frontend_dir: Path, dirs: ViewerDirs
    ) -> None:
        self.log_dir = log_dir
        self.frontend_dir = frontend_dir
        self.broadcaster = Broadcaster()
        self.app = AppContext(log_dir=log_dir, app_name=app_name, emitter=self.broadcaster)
        self.demo = DemoRunner(log_dir, app_name)
        self.own_log = OwnLogOpener(dirs, shows_own_log=dirs.is_own_log(log_dir))
        self.opener = LogOpener(RecentLogs(dirs.recent_file))
        self.recent = [p for p in self.opener.recent.list() if p != log_dir]
        self.opener.recent.add(log_dir)
        self.drops = DropOpener(self.opener, self.broadcaster, WINDOW_CLIENT)
        self.keeper = GeometryKeeper(dirs.geometry_file, load_geometry(dirs.geometry_file))
        self.window = self._create_window()
        queue = self.broadcaster.subscribe(WINDOW_CLIENT)
        self.pump = EventPump(queue, self._deliver, self._loaded)

    def _create_window(self) -> webview.Window:
        geometry = self.keeper.geometry
        window = webview.create_window(
            f"{TITLE_PREFIX} — {self.log_dir}",
            url=str(self.frontend_dir / "index.html"),
            width=geometry.width,
            height=geometry.height,
            x=geometry.x,
            y=geometry.y,
            min_size=MIN_SIZE,
            text_select=True,
            menu=self._menu(),
        )
        if window is None:  # only for a WSGI app argument; a URL always makes a window
            raise RuntimeError("pywebview did not create the window")
        window.expose(*command_functions(self.app, WINDOW_CLIENT))
        window.expose(*desktop_functions(self._save_dialog, self.demo, self.own_log, self.opener))
        window.events.before_show += self._on_before_show
        window.events.loaded += self._on_loaded
        window.events.resized += self.keeper.resized
        window.events.moved += self.keeper.moved
        window.events.closing += self._on_closing
        return window

    def _menu(self) -> list[Menu]:
        own_log = [MenuAction(OPEN_OWN_LOG, self._open_own_log)] if self.own_log.available else []
        recent: list[MenuAction | MenuSeparator | Menu] = [
            MenuAction(str(path), self._opens(path)) for path in self.recent
        ]
        return [
            Menu(
                "File",
                [
                    MenuAction(
                        "Open Directory…", lambda: self._open_chosen(webview.FileDialog.FOLDER)
                    ),
                    MenuAction("Open File…", lambda: self._open_chosen(webview.FileDialog.OPEN)),
                    *([Menu("Open Recent", recent)] if recent else []),
                    MenuSeparator(),
                    MenuAction(f"Start demo activity ({DEMO_SECONDS} s)", self._start_demo),
                    *own_log,
                    MenuSeparator(),
                    MenuAction("Quit", self._quit),
                ],
            ),
            Menu("View", [MenuAction("Reload", self._reload)]),
        ]

    @property
    def _loaded(self) -> Any:
        return self.window.events.loaded

    def run(self, gui: GUIType | None) -> None:
        """Show the window and block until it is closed; then shut everything down."""
        _log.info("viewer opened", category="system", log_dir=str(self.log_dir), pid=os.getpid())
        self.pump.start()
        previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            webview.start(gui=gui, icon=str(ICON_PNG))
        finally:
            signal.signal(signal.SIGTERM, previous)
            self.shutdown()

    def shutdown(self) -> None:
        """Stop the pump, the follower and the demo child (idempotent)."""
        self.pump.stop()
        self.broadcaster.close()
        self.app.close()
        self.demo.stop()
        self.keeper.save()
        _log.info("viewer closed", category="system", log_dir=str(self.log_dir))

    def _deliver(self, script: str) -> bool | None:
        try:
            return self.window.evaluate_js(script) is True
        except JavascriptException:
            return None

    def _on_before_show(self) -> None:
        # On the GUI thread, once the Qt window and its web view exist.
        install_drop_target(self.window, self.drops)

    def _on_loaded(self) -> None:
        # Every (re)load: a reload forgets what the previous page was told.
        self.window.run_js(CAPABILITIES_SCRIPT)

    def _on_closing(self) -> None:
        # Runs on the GUI thread: waiting here for the pump (which may wait for the page) would
        # deadlock, so only ask it to stop; `run` joins it once the loop has returned.
        self.pump.request_stop()
        self.keeper.save()

    def _save_dialog(self, directory: str, save_filename: str) -> str | None:
        chosen = self.window.create_file_dialog(
            webview.FileDialog.SAVE, directory=directory, save_filename=save_filename
        )
        if not chosen:
            return None
        return str(chosen[0] if isinstance(chosen, list | tuple) else chosen)

    def _open_chosen(self, kind: webview.FileDialog) -> None:
        chosen = self.window.create_file_dialog(kind, directory=str(self.log_dir.parent))
        if chosen:
            self._open(str(chosen[0] if isinstance(chosen, list | tuple) else chosen))

    def _opens(self, path: Path) -> Any:
        return lambda: self._open(str(path))

    def _open(self, path: str) -> None:
        try:
            self.opener.open(path)
        except CommandError as exc:  # a menu has no place for an error; the log has
            _log.warning("log not opened", category="user", path=path, reason=exc.message)

    def _start_demo(self) -> None:
        self.demo.start(DEMO_SECONDS)

    def _open_own_log(self) -> None:
        try:
            self.own_log.open()
        except CommandError as exc:  # a menu has no place for an error; the log has
            _log.warning("viewer's own log not opened", category="user", reason=exc.message)

    def _on_sigterm(self, signum: int, frame: object) -> None:
        # Python runs this on the main (GUI) thread, at the latest on pywebview's 500 ms Qt
        # timer. Closing every window takes the window manager's path (`_on_closing`), so the
        # loop returns and `run` shuts down as after any close: exit 0, lock released.
        _log.info("viewer asked to close", category="system", signal=signal.Signals(signum).name)
        for window in list(webview.windows):
            window.destroy()

    def _quit(self) -> None:
        self.window.destroy()

    def _reload(self) -> None:
        self.window.run_js("location.reload()")
