"""The stream indicators of the real window after a real permission error (issue 16).

tests/e2e/test_daily_use.py fakes the refusal in Chromium by routing the command's answer; here
the kernel refuses, on the log directory or on the only log file in it (a file the viewer may
not read is no file that vanished: it must not pass for an empty, live log). The tests run as
root, whom file modes do not stop: the viewer is started without the two capabilities that let
root pass them (``CAP_DAC_OVERRIDE``, ``CAP_DAC_READ_SEARCH``; util-linux's ``setpriv`` drops
them from its inheritable and bounding sets, so they are gone after its ``execve``), and so gets
``EACCES`` on a log directory or file of mode 000 like any user on another user's logs. Run as
another user, the mode alone does it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cdp import CdpPage, find_page
from harness import (
    APP_COMMAND,
    REPO,
    START_TIMEOUT,
    Viewer,
    XServer,
    app_env,
    free_port,
    write_entries,
)

#: Whose file `write_entries` writes: the writer's default app name.
APP_NAME = "midi-software-center"
#: Drops root's power over file modes for the command that follows.
WITHOUT_DAC = (
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
    "--",
)
#: Tone, text and dot colour of the toolbar's Live button and of the status bar's stream, and
#: green (``--level-info``, the live colour) as computed (as tests/e2e/test_daily_use.py).
INDICATORS = """(() => {
  const live = document.querySelector('msc-toolbar .live');
  const stream = document.querySelector('msc-status-bar .stream');
  const dot = (el) => getComputedStyle(el.querySelector('i')).backgroundColor;
  const probe = document.createElement('i');
  probe.style.background = 'var(--level-info)';
  document.body.append(probe);
  const green = getComputedStyle(probe).backgroundColor;
  probe.remove();
  return { liveTone: live.dataset.tone, liveText: live.textContent.trim(), liveDot: dot(live),
           streamTone: stream.dataset.tone, streamText: stream.textContent.trim(),
           streamDot: dot(stream), streamTitle: stream.title, green };
})()"""
STATE = """(() => { const s = window.__msc.logStore.state;
  return { error: s.error, streamError: s.streamError, loaded: s.loaded }; })()"""


def _launch_refused(xserver: XServer, log_dir: Path, workdir: Path) -> Viewer:
    """Start the viewer as a process that file modes bind, and wait for its page's bridge (not
    for entries: the first fetch fails)."""
    port = free_port()
    env = app_env(xserver.display, workdir, port)
    output = workdir / "viewer.out"
    prefix = WITHOUT_DAC if os.geteuid() == 0 else ()
    # Another frontend checkout against this backend, as `Viewer.launch` allows.
    front = os.environ.get("MSC_FRONTEND_DIR")
    process = subprocess.Popen(
        [
            *prefix,
            *APP_COMMAND,
            "--log-dir",
            str(log_dir),
            *(["--frontend-dir", front] * bool(front)),
        ],
        cwd=REPO,
        env=env,
        stdout=output.open("wb"),
        stderr=subprocess.STDOUT,
    )
    viewer = Viewer(process, xserver.display, log_dir, output, env)
    try:
        viewer.page = CdpPage(find_page(port, START_TIMEOUT))
        viewer.wait_for("window.__mscDeliver !== undefined && !!window.pywebview?.api")
    except BaseException:
        viewer.kill()
        raise
    return viewer


@dataclass
class Refusal:
    """A viewer, and the path whose mode (000) refuses it."""

    viewer: Viewer
    path: Path


@pytest.fixture(params=["directory", "file"])
def refused(request: pytest.FixtureRequest, xserver: XServer, tmp_path: Path) -> Iterator[Refusal]:
    """A viewer on a log directory (with entries) that it may not read, or whose only log file
    it may not read."""
    log_dir = tmp_path / "logs"
    write_entries(log_dir, ["written before the mode changed"])
    path = log_dir if request.param == "directory" else log_dir / f"{APP_NAME}.log"
    mode = path.stat().st_mode & 0o7777
    path.chmod(0)
    viewer = _launch_refused(xserver, log_dir, tmp_path)
    try:
        yield Refusal(viewer, path)
    finally:
        viewer.kill()
        path.chmod(mode)


class TestIndicatorsAfterPermissionError:
    def test_the_refusal_is_a_permission_error(self, refused: Refusal) -> None:
        """The first fetch and the subscription both come back ``permission_denied``, naming
        what was refused."""
        state: dict[str, Any] = refused.viewer.wait_for(
            f"(() => {{ const s = {STATE}; return s.error && s.streamError && s; }})()"
        )
        assert state["loaded"] is False
        assert state["error"]["code"] == state["streamError"]["code"] == "permission_denied"
        assert state["error"]["message"] == f"Permission denied: {refused.path}"

    def test_neither_indicator_is_green_and_both_agree(self, refused: Refusal) -> None:
        """The toolbar says Offline, the status bar Not streaming, both in the same red dot;
        the status bar's tooltip says why."""
        refused.viewer.wait_for("window.__msc.logStore.state.streamError !== null")
        # Both render from the store's state; wait until neither says "Connecting…" any more.
        now: dict[str, str] = refused.viewer.wait_for(
            f"(() => {{ const i = {INDICATORS}; "
            "return !`${i.liveText}${i.streamText}`.includes('Connecting') && i; })()"
        )
        assert (now["liveTone"], now["streamTone"]) == ("down", "down")
        assert (now["liveText"], now["streamText"]) == ("Offline", "Not streaming")
        assert now["liveDot"] == now["streamDot"] != now["green"]
        assert "ermission denied" in now["streamTitle"]
