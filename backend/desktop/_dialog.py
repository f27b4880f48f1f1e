"""A start-up failure in a native message box, for a viewer launched from the desktop menu.

Launched from a menu or a file manager, the viewer has no terminal: a message on stderr alone
would leave the user with nothing. `wants_dialog` decides (no terminal on stderr, unless
``MSC_ERROR_DIALOG`` says ``always`` or ``never``); `show_error` opens a Qt message box and
returns when it is closed. Without a display no box can open: the message stays on stderr.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

__all__ = ["DIALOG_TITLE", "show_error", "wants_dialog"]

DIALOG_TITLE = "MIDI Software Center Logs"


def wants_dialog(environ: Mapping[str, str], stderr: TextIO) -> bool:
    """Whether a start-up failure should also open a message box."""
    choice = environ.get("MSC_ERROR_DIALOG", "auto").strip().lower()
    if choice in ("always", "never"):
        return choice == "always"
    try:
        return not stderr.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream: no terminal either
        return True


def show_error(message: str) -> None:
    """Show ``message`` in a modal error box and wait until the user closes it."""
    from qtpy.QtWidgets import QApplication, QMessageBox  # noqa: PLC0415 - the window's Qt only

    app = QApplication.instance() or QApplication(["msc-logs"])
    box = QMessageBox(QMessageBox.Icon.Critical, DIALOG_TITLE, message)
    box.setWindowTitle(f"{DIALOG_TITLE}: the viewer did not open")
    box.exec()
    del app
