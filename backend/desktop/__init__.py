"""The native desktop app's parts: event pump, exposed API, window state, desktop entry.

`backend.window` puts them together; `backend.desktop.install` installs the menu entry and icon.
The data files (``msc-logs.svg``, ``msc-logs.png``) sit beside this file, and inside a PyInstaller
bundle under ``backend/desktop/`` (build.spec).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ICON_PNG", "ICON_SVG"]

#: The app icon, scalable and 256x256.
ICON_SVG = Path(__file__).resolve().parent / "msc-logs.svg"
ICON_PNG = Path(__file__).resolve().parent / "msc-logs.png"
