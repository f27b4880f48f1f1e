"""SIGTERM (``kill``, a session ending, systemd) closes the window as the window manager does."""

from __future__ import annotations

import fcntl
import json
import os
import signal
from pathlib import Path

from harness import EXIT_TIMEOUT, LaunchViewer


def _free(lock: Path) -> bool:
    """Whether nobody holds the flock on ``lock`` any more."""
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


class TestSigterm:
    def test_sigterm_closes_cleanly(self, launch: LaunchViewer, tmp_path: Path) -> None:
        """SIGTERM → exit code 0, lock released, geometry saved, 'viewer closed' logged."""
        state = tmp_path / "config" / "midi-software-center" / "window.json"
        state.parent.mkdir(parents=True)
        state.write_text(json.dumps({"width": 900, "height": 600, "x": 30, "y": 40}))
        (tmp_path / "logs").mkdir()
        viewer = launch(tmp_path / "logs", wait_rows=False)
        runtime = Path(viewer.env["XDG_RUNTIME_DIR"]) / "midi-software-center"
        (lock,) = runtime.glob("viewer-*.lock")
        state.unlink()

        viewer.process.send_signal(signal.SIGTERM)

        assert viewer.process.wait(EXIT_TIMEOUT) == 0, viewer.output_text()[-3000:]
        assert "Traceback" not in viewer.output_text()
        assert _free(lock)  # the file stays by design (InstanceLock.release); its flock goes
        assert json.loads(state.read_text())["width"] == 900
        assert "viewer closed" in [r["message"] for r in viewer.own_records()]
